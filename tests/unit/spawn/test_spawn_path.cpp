// Looking a command up in PATH the way execvp does, but from the program's
// own working directory: that is where the child execs, not svd's cwd.
#include "run_child.h"
#include "spawn/spawn.h"

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

using svd::spawn::find_executable;
using svd::spawn::SpawnOptions;

namespace {

/// A fresh directory under /tmp, removed at the end of the test.
struct TempDir {
    std::string path;
    TempDir() {
        char name[] = "/tmp/svd-spawn-XXXXXX";
        REQUIRE(mkdtemp(name) != nullptr);
        path = name;
    }
    ~TempDir() { std::system(("rm -rf '" + path + "'").c_str()); }
    void script(const std::string& relative, mode_t mode, const std::string& says) const {
        std::string file = path + "/" + relative;
        std::system(("mkdir -p \"$(dirname '" + file + "')\"").c_str());
        std::ofstream(file) << "#!/bin/sh\necho " << says << "\n";
        REQUIRE(chmod(file.c_str(), mode) == 0);
    }
};

} // namespace

TEST_CASE("a relative PATH entry is relative to the program's directory, not svd's", "[spawn]") {
    TempDir dir;
    dir.script("bin/svd-test-tool", 0755, "from-bin");
    dir.script("svd-test-here", 0755, "from-here");
    // svd's cwd (the test's) has neither, so a lookup from there finds nothing.
    CHECK(find_executable("svd-test-tool", "bin:/bin", dir.path).path == "bin/svd-test-tool");
    CHECK(find_executable("svd-test-here", "/nonexistent::/bin", dir.path).path == "./svd-test-here");

    SpawnOptions options;
    options.directory = dir.path;
    options.env = {"PATH=bin:/usr/bin:/bin"};
    options.argv = {"svd-test-tool"};
    CHECK(spawn_test::run_argv(options).first == "from-bin\n");
    options.env = {"PATH=/nonexistent:.:/bin"};
    options.argv = {"svd-test-here"};
    CHECK(spawn_test::run_argv(options).first == "from-here\n");
}

TEST_CASE("a match in PATH that cannot be executed is 'permission denied', like execvp", "[spawn]") {
    TempDir dir;
    dir.script("a/svd-test-tool", 0644, "not-executable");
    REQUIRE(std::system(("mkdir -p '" + dir.path + "/b/svd-test-tool'").c_str()) == 0); // a directory by the name
    const std::string a = dir.path + "/a", b = dir.path + "/b";

    auto found = find_executable("svd-test-tool", a + ":" + b + ":/nonexistent");
    CHECK(found.path.empty());
    CHECK(found.error == EACCES);
    CHECK(find_executable("svd-test-tool", "/nonexistent:/bin").error == ENOENT);

    SpawnOptions options;
    options.env = {"PATH=" + a + ":/bin"};
    options.argv = {"svd-test-tool"};
    auto result = svd::spawn::spawn_process(options);
    CHECK_FALSE(result.ok());
    CHECK(result.error == EACCES);
    CHECK_THAT(result.message, Catch::Contains("svd-test-tool") && Catch::Contains("Permission denied"));

    // The search goes on past it: a later executable match still wins.
    dir.script("c/svd-test-tool", 0755, "from-c");
    options.env = {"PATH=" + a + ":" + b + ":" + dir.path + "/c"};
    CHECK(spawn_test::run_argv(options).first == "from-c\n");
}
