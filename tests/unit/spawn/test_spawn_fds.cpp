// Which fds a child gets: every passed fd, however many, at 3, 4, ...; and
// nothing else, even an fd svd forgot to mark CLOEXEC, even where the
// kernel has no close_range.
#include "run_child.h"
#include "spawn/spawn.h"

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstddef>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <set>
#include <sstream>
#include <string>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

using svd::spawn::SpawnOptions;

namespace {

/// The child's fds, listed with builtins only (a pipeline would add its own).
const char* kListFds = "for f in /proc/$$/fd/*; do printf '%s ' ${f##*/}; done";

std::set<int> parse_fds(const std::string& text) {
    std::set<int> fds;
    std::istringstream in(text);
    int fd;
    while (in >> fd) fds.insert(fd);
    return fds;
}

/// In a forked copy of this test process, makes close_range fail with
/// ENOSYS (as on Linux < 5.9) through a seccomp filter, and with
/// `hide_proc` also every directory open (no /proc/self/fd to read);
/// then leaves an fd without CLOEXEC open and spawns a shell that says
/// whether it got it. Returns its output, or "no seccomp" where filters
/// cannot be installed.
std::string leaked_without_close_range(bool hide_proc) {
    int out[2];
    REQUIRE(pipe2(out, O_CLOEXEC) == 0);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        const unsigned openat_nr = hide_proc ? static_cast<unsigned>(SYS_openat) : ~0U;
        struct sock_filter filter[] = {
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_close_range, 0, 1),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, openat_nr, 0, 3),
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[2])), // flags, low half
            BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, O_DIRECTORY, 0, 1),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOENT),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        struct sock_fprog program = {static_cast<unsigned short>(sizeof filter / sizeof filter[0]), filter};
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) != 0) {
            (void)!write(out[1], "no seccomp", 10);
            _exit(0);
        }
        // A small limit keeps the no-/proc fallback (every fd below it) quick.
        struct rlimit limit = {256, 256};
        setrlimit(RLIMIT_NOFILE, &limit);
        const int leaky = fcntl(out[1], F_DUPFD, 200); // no CLOEXEC, and no number sh would reuse
        const std::string fd = std::to_string(leaky);
        SpawnOptions options;
        options.argv = {"/bin/sh", "-c", "[ -e /proc/$$/fd/" + fd + " ] && echo leaked " + fd + " || echo closed"};
        options.stdout_fd = out[1];
        auto result = svd::spawn::spawn_process(options);
        if (!result.ok()) {
            (void)!write(out[1], result.message.data(), result.message.size());
            _exit(1);
        }
        close(out[1]);
        close(leaky);
        int status = 0;
        waitpid(result.pid, &status, 0);
        _exit(0);
    }
    close(out[1]);
    std::string text;
    char buffer[256];
    ssize_t n;
    while ((n = read(out[0], buffer, sizeof buffer)) > 0) text.append(buffer, static_cast<std::size_t>(n));
    close(out[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    return text;
}

} // namespace

TEST_CASE("more than 64 passed fds all land on 3, 4, ...", "[spawn]") {
    // LISTEN_FDS counts every socket of a program, so every one must arrive.
    int last[2];
    REQUIRE(pipe2(last, O_CLOEXEC) == 0);
    SpawnOptions options;
    for (int i = 0; i < 99; ++i) options.pass_fds.push_back(open("/dev/null", O_RDONLY | O_CLOEXEC));
    options.pass_fds.push_back(last[1]); // at 3 + 99 = 102
    auto [output, status] = spawn_test::run(options, std::string(kListFds) + "; echo; echo last >/proc/$$/fd/102");
    for (int fd : options.pass_fds) close(fd);
    std::string through_last(16, '\0');
    through_last.resize(static_cast<std::size_t>(std::max<ssize_t>(0, read(last[0], through_last.data(), 16))));
    close(last[0]);
    CHECK(WIFEXITED(status));
    std::set<int> expected;
    for (int fd = 0; fd <= 103; ++fd) expected.insert(fd); // 103: the directory the glob has open
    CHECK(parse_fds(output) == expected);
    CHECK(through_last == "last\n");
}

TEST_CASE("an fd without CLOEXEC does not reach the child, with or without close_range", "[spawn]") {
    SECTION("close_range") {
        // No CLOEXEC on purpose; high, so the glob's own fd cannot take its number.
        int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        int leaky = fcntl(null_fd, F_DUPFD, 200);
        close(null_fd);
        auto [output, status] = spawn_test::run({}, kListFds);
        close(leaky);
        CHECK(parse_fds(output).count(leaky) == 0);
    }
    SECTION("no close_range: /proc/self/fd is read") {
        std::string output = leaked_without_close_range(false);
        if (output == "no seccomp") WARN("seccomp filters unavailable: fallback not tested");
        else CHECK(output == "closed\n");
    }
    SECTION("no close_range and no /proc: every fd below the limit") {
        std::string output = leaked_without_close_range(true);
        if (output == "no seccomp") WARN("seccomp filters unavailable: fallback not tested");
        else CHECK(output == "closed\n");
    }
}
