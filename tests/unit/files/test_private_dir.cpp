#include "files/private_dir.h"

#include "../config/config_test_support.h"

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using svd::config::testing::TempDir;
using namespace svd::files;

namespace {

mode_t mode_of(const std::string& path) {
    struct stat info {};
    REQUIRE(::lstat(path.c_str(), &info) == 0);
    return info.st_mode & 07777;
}

/// Sets the umask for one scope.
struct ScopedUmask {
    mode_t old;
    explicit ScopedUmask(mode_t mask) : old(::umask(mask)) {}
    ~ScopedUmask() { ::umask(old); }
};

} // namespace

TEST_CASE("make_own_dir creates with exactly the mode asked, whatever the umask", "[files]") {
    TempDir dir;
    ScopedUmask open_umask(0);
    std::string error;
    REQUIRE(make_own_dir(dir / "a/b/log", 0750, "log_dir", error));
    CHECK(mode_of(dir / "a") == 0700);
    CHECK(mode_of(dir / "a/b") == 0700);
    CHECK(mode_of(dir / "a/b/log") == 0750);
}

TEST_CASE("an existing directory is checked, never chmod'ed", "[files]") {
    TempDir dir;
    std::string error;
    REQUIRE(::mkdir((dir / "home").c_str(), 0755) == 0);
    REQUIRE(::chmod((dir / "home").c_str(), 0755) == 0);
    CHECK(make_own_dir(dir / "home", 0700, "the control socket's directory", error));
    CHECK(mode_of(dir / "home") == 0755); // `socket = "${home}/svd.sock"` used to make it 0700

    REQUIRE(::mkdir((dir / "shared").c_str(), 0700) == 0);
    REQUIRE(::chmod((dir / "shared").c_str(), 01777) == 0);
    CHECK_FALSE(check_own_dir(dir / "shared", "log_dir", error));
    CHECK_THAT(error, Catch::Contains("is writable by others (mode 1777)"));
    CHECK(mode_of(dir / "shared") == 01777);
    REQUIRE(::chmod((dir / "shared").c_str(), 0770) == 0);
    CHECK_FALSE(check_own_dir(dir / "shared", "log_dir", error));
    CHECK_THAT(error, Catch::Contains("is writable by its group"));
    // svd's own directory below a shared sticky one is fine.
    REQUIRE(::chmod((dir / "shared").c_str(), 01777) == 0);
    CHECK(make_own_dir(dir / "shared/svd", 0700, "run_dir", error));
}

TEST_CASE("open_own_file refuses a planted symlink or FIFO and fixes the mode", "[files]") {
    TempDir dir;
    std::string error;
    std::string victim = dir.write("victim", "precious\n");
    REQUIRE(::symlink(victim.c_str(), (dir / "web.log").c_str()) == 0);
    CHECK(open_own_file(dir / "web.log", O_WRONLY | O_APPEND, 0640, error) < 0);
    CHECK_THAT(error, Catch::Contains("web.log is a symlink"));

    REQUIRE(::mkfifo((dir / "fifo.log").c_str(), 0600) == 0);
    CHECK(open_own_file(dir / "fifo.log", O_RDWR | O_APPEND, 0640, error) < 0); // and did not block
    CHECK_THAT(error, Catch::Contains("is not a regular file"));

    ScopedUmask open_umask(0);
    int fd = open_own_file(dir / "svd.log", O_WRONLY | O_APPEND, 0640, error);
    REQUIRE(fd >= 0);
    CHECK((::fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
    ::close(fd);
    CHECK(mode_of(dir / "svd.log") == 0640);
}
