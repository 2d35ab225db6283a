#include "files/read_file.h"

#include "../config/config_test_support.h"

#include <catch2/catch.hpp>
#include <sys/stat.h>

using svd::config::testing::TempDir;
using svd::files::read_regular_file;

TEST_CASE("read_regular_file reads a regular file whole, up to its limit", "[files]") {
    TempDir dir;
    std::string error;
    auto text = read_regular_file(dir.write("a", "hello\n"), 6, &error);
    REQUIRE(text.has_value());
    CHECK(*text == "hello\n");
    CHECK_FALSE(read_regular_file(dir.write("b", "hello!\n"), 6, &error).has_value());
    CHECK(error == "is larger than 6 bytes, the limit");
    CHECK(read_regular_file(dir.write("empty", ""), 6, &error) == std::string());
}

TEST_CASE("read_regular_file refuses what is not a regular file, at once", "[files]") {
    TempDir dir;
    std::string error;
    REQUIRE(::mkfifo((dir / "fifo").c_str(), 0600) == 0);
    CHECK_FALSE(read_regular_file(dir / "fifo", 1024, &error).has_value());
    CHECK(error == "is a FIFO, not a regular file");
    CHECK_FALSE(read_regular_file("/dev/zero", 1024, &error).has_value());
    CHECK(error == "is a character device, not a regular file");
    CHECK_FALSE(read_regular_file(dir.path(), 1024, &error).has_value());
    CHECK(error == "is a directory, not a regular file");
    CHECK_FALSE(read_regular_file(dir / "missing", 1024, &error).has_value());
    CHECK(error == "No such file or directory");
}
