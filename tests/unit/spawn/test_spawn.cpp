// The spawner against real processes: what the child sees is what matters.
#include "spawn/spawn.h"

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

using svd::spawn::SpawnOptions;
using svd::spawn::spawn_process;

namespace {

/// Runs `script` under sh with stdout to a pipe; returns (output, wait status).
std::pair<std::string, int> run(SpawnOptions options, const std::string& script) {
    int out[2];
    REQUIRE(pipe2(out, O_CLOEXEC) == 0);
    options.argv = {"/bin/sh", "-c", script};
    options.stdout_fd = out[1];
    auto result = spawn_process(options);
    close(out[1]);
    REQUIRE(result.ok());
    std::string text;
    char buffer[4096];
    ssize_t n;
    while ((n = read(out[0], buffer, sizeof buffer)) > 0) text.append(buffer, static_cast<std::size_t>(n));
    close(out[0]);
    int status = 0;
    waitpid(result.pid, &status, 0);
    return {text, status};
}

} // namespace

TEST_CASE("LISTEN_PID is the child's own pid, and passed fds land on 3, 4", "[spawn]") {
    int held[2];
    REQUIRE(pipe2(held, O_CLOEXEC) == 0);
    SpawnOptions options;
    options.env = {"PATH=/usr/bin:/bin", "LISTEN_PID=1"};
    options.pass_fds = {held[0], held[1]};
    options.set_listen_pid = true;
    // Builtins only: a pipeline would show the shell's own pipe fds, racily.
    auto [output, status] = run(options, "echo $LISTEN_PID $$; for f in /proc/$$/fd/*; do printf '%s ' ${f##*/}; done");
    close(held[0]);
    close(held[1]);
    CHECK(WIFEXITED(status));
    auto space = output.find(' ');
    std::string listen_pid = output.substr(0, space);
    std::string own_pid = output.substr(space + 1, output.find('\n') - space - 1);
    CHECK(listen_pid == own_pid);
    // 0, 1, 2, the two passed fds, and 5: the directory the glob itself has open. Nothing else leaks.
    CHECK_THAT(output, Catch::EndsWith("\n0 1 2 3 4 5 "));
}

TEST_CASE("a missing executable is reported, not run", "[spawn]") {
    SpawnOptions options;
    options.argv = {"/definitely/not/here"};
    auto result = spawn_process(options);
    CHECK_FALSE(result.ok());
    CHECK_THAT(result.message, Catch::Contains("/definitely/not/here") && Catch::Contains("No such file"));
}

TEST_CASE("a name is looked up in the child's PATH", "[spawn]") {
    SpawnOptions options;
    options.env = {"PATH=/nonexistent:/bin"};
    auto [output, status] = run(options, "echo ok");
    CHECK(output == "ok\n");
    CHECK(svd::spawn::find_executable("sh", "/nonexistent:/bin") == "/bin/sh");
    CHECK(svd::spawn::find_executable("no-such-tool-xyz", "/bin:/usr/bin").empty());
}

TEST_CASE("a bad directory fails at chdir with the path named", "[spawn]") {
    SpawnOptions options;
    options.argv = {"/bin/true"};
    options.directory = "/no/such/dir";
    auto result = spawn_process(options);
    CHECK_FALSE(result.ok());
    CHECK_THAT(result.message, Catch::Contains("/no/such/dir"));
}

TEST_CASE("the child leads its own process group with an empty signal mask", "[spawn]") {
    SpawnOptions options;
    options.env = {"PATH=/usr/bin:/bin"};
    auto [output, status] = run(options, "ps -o pid=,pgid= -p $$; grep SigBlk /proc/$$/status");
    // "  PID  PGID" with both equal
    std::size_t a = output.find_first_not_of(' ');
    std::size_t b = output.find(' ', a);
    std::size_t c = output.find_first_not_of(' ', b);
    std::size_t d = output.find('\n', c);
    CHECK(output.substr(a, b - a) == output.substr(c, d - c));
    CHECK_THAT(output, Catch::Contains("SigBlk:\t0000000000000000"));
}
