#include "config/env_file.h"

#include "config_test_support.h"

#include <catch2/catch.hpp>
#include <sys/stat.h>

using namespace svd::config;
using svd::config::testing::TempDir;

namespace {

bool has_warning(const EnvFile& file, const std::string& part) {
    for (const std::string& warning : file.warnings)
        if (warning.find(part) != std::string::npos) return true;
    return false;
}

} // namespace

TEST_CASE("env_file: an unterminated quote is refused with file:line", "[config][env_file]") {
    EnvFile file = parse_env_text("A=1\nB=\"open\nC='also open\nD=\"closed\"\n", "app.env");
    CHECK(file.values == std::map<std::string, std::string>{{"A", "1"}, {"D", "closed"}});
    INFO(file.warnings.size());
    CHECK(has_warning(file, "app.env:2: ignored: B's value has no closing \""));
    CHECK(has_warning(file, "app.env:3: ignored: C's value has no closing '"));
}

TEST_CASE("env_file: a line holding a NUL is refused", "[config][env_file]") {
    EnvFile file = parse_env_text(std::string("A=x\0y\nB=2\n", 10), "app.env");
    CHECK(file.values.count("A") == 0);
    CHECK(file.values.at("B") == "2");
    CHECK(has_warning(file, "app.env:1: ignored: the line holds a NUL"));
}

TEST_CASE("env_file: a FIFO or a device is refused without blocking", "[config][env_file]") {
    TempDir dir;
    REQUIRE(::mkfifo((dir / "fifo").c_str(), 0600) == 0);
    EnvFile fifo = read_env_file(dir / "fifo"); // would block in open() without O_NONBLOCK
    CHECK(fifo.error.find("is a FIFO, not a regular file") != std::string::npos);
    EnvFile zero = read_env_file("/dev/zero"); // would be read without end
    CHECK(zero.error.find("is a character device, not a regular file") != std::string::npos);
    EnvFile big = read_env_file(dir.write("big.env", "A=" + std::string(2 * 1024 * 1024, 'x') + "\n"));
    CHECK(big.error.find("is larger than 1 MiB") != std::string::npos);
}
