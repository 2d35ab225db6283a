// Which binary a reload re-executes, and with which arguments.
#include "daemon/binary.h"
#include "daemon/handover.h"

#include <catch2/catch.hpp>
#include <climits>
#include <unistd.h>

using namespace svd::daemon;

TEST_CASE("the installed binary is argv[0] made absolute, symlinks kept", "[daemon]") {
    CHECK(resolve_installed_binary("/usr/bin/svd") == "/usr/bin/svd");
    char cwd[PATH_MAX];
    REQUIRE(getcwd(cwd, sizeof cwd));
    CHECK(resolve_installed_binary("bin/svd") == std::string(cwd) + "/bin/svd");
    // No '/': looked up in $PATH, like the shell that started it did.
    CHECK(resolve_installed_binary("sh").find("/sh") != std::string::npos);
    CHECK(resolve_installed_binary("sh")[0] == '/');
}

TEST_CASE("why_not_executable names the problem", "[daemon]") {
    CHECK(why_not_executable("/bin/sh").empty());
    CHECK(why_not_executable("/no/such/svd").find("No such file") != std::string::npos);
    CHECK(why_not_executable("/").find("not a regular file") != std::string::npos);
}

TEST_CASE("a reload's arguments drop --daemon and an earlier --adopt-state", "[daemon]") {
    std::vector<std::string> argv = {"svd", "--config", "x.toml", "--daemon", "--adopt-state", "7"};
    CHECK(reexec_arguments("/usr/bin/svd", argv, 9) ==
          std::vector<std::string>{"/usr/bin/svd", "--config", "x.toml", "--adopt-state", "9"});
}

TEST_CASE("the handover names every fd the next image needs", "[daemon]") {
    nlohmann::json state = {{"lock_fd", 3},
                            {"control_fd", 4},
                            {"notify_fd", 5},
                            {"fallback_exe_fd", 6},
                            {"sockets", {{"web", 7}}},
                            {"programs", {{{"pipes", {8, 9, -1, -1}}}}},
                            {"clients", {{{"fd", 10}, {"buffer", ""}}}}};
    auto fds = handed_fds(state);
    for (int fd : {3, 4, 5, 6, 7, 8, 9, 10}) CHECK(std::find(fds.begin(), fds.end(), fd) != fds.end());
}

TEST_CASE("the build id of the running image is known", "[daemon]") {
    CHECK(build_id() != "");
    CHECK(image_identity()["pid"] == getpid());
}
