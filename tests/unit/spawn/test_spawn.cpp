// The spawner against real processes: what the child sees is what matters.
#include "run_child.h"
#include "spawn/spawn.h"

#include <catch2/catch.hpp>
#include <csignal>
#include <fcntl.h>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

using spawn_test::run;
using svd::spawn::SpawnOptions;
using svd::spawn::spawn_process;

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
    CHECK(svd::spawn::find_executable("sh", "/nonexistent:/bin").path == "/bin/sh");
    CHECK(svd::spawn::find_executable("no-such-tool-xyz", "/bin:/usr/bin").path.empty());
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

TEST_CASE("the child starts with SIGPIPE at its default and nothing blocked, whatever svd has", "[spawn]") {
    // svd ignores SIGPIPE, and an ignored signal stays ignored across exec:
    // a program writing to a closed pipe would get EPIPE instead of dying.
    struct sigaction ignore {}, previous_action {};
    ignore.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ignore, &previous_action);
    sigset_t usr1, previous_mask;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &usr1, &previous_mask);
    SpawnOptions options;
    options.argv = {"/bin/cat", "/proc/self/status"}; // cat leaves its signals alone
    auto [output, status] = spawn_test::run_argv(options);
    sigaction(SIGPIPE, &previous_action, nullptr);
    pthread_sigmask(SIG_SETMASK, &previous_mask, nullptr);
    CHECK(WIFEXITED(status));
    CHECK_THAT(output, Catch::Contains("SigIgn:\t0000000000000000"));
    CHECK_THAT(output, Catch::Contains("SigBlk:\t0000000000000000"));
}
