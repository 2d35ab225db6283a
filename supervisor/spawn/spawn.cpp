#include "spawn/spawn.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace svd::spawn {
namespace {

const char* stage_name(Stage stage) {
    switch (stage) {
    case Stage::Lookup: return "find";
    case Stage::Fork: return "fork";
    case Stage::Dup: return "set up fds for";
    case Stage::Chdir: return "change directory for";
    case Stage::Exec: return "exec";
    case Stage::None: break;
    }
    return "start";
}

SpawnResult failure(Stage stage, int error, const std::string& what) {
    SpawnResult result;
    result.failed_at = stage;
    result.error = error;
    result.message = std::string(stage_name(stage)) + " " + what + ": " + std::strerror(error);
    return result;
}

/// What the child writes to the error pipe before _exit(127).
struct ChildFailure {
    int stage;
    int error;
};

[[noreturn]] void child_fail(int error_pipe, Stage stage) {
    ChildFailure failure{static_cast<int>(stage), errno};
    // A short write cannot happen for 8 bytes on a pipe; nothing else to do if it fails.
    [[maybe_unused]] auto written = write(error_pipe, &failure, sizeof failure);
    _exit(127);
}

/// Writes `value` as decimal into `out` (room for 20 digits + NUL). Async-signal-safe.
void write_decimal(char* out, long value) {
    char digits[24];
    int n = 0;
    do {
        digits[n++] = static_cast<char>('0' + value % 10);
        value /= 10;
    } while (value > 0);
    for (int i = 0; i < n; ++i) out[i] = digits[n - 1 - i];
    out[n] = '\0';
}

std::string lookup_path(const std::vector<std::string>& env) {
    for (const auto& entry : env)
        if (entry.rfind("PATH=", 0) == 0) return entry.substr(5);
    return "/usr/local/bin:/usr/bin:/bin";
}

} // namespace

std::string find_executable(const std::string& name, const std::string& path_list) {
    if (name.find('/') != std::string::npos) return name;
    std::size_t start = 0;
    while (start <= path_list.size()) {
        std::size_t end = path_list.find(':', start);
        if (end == std::string::npos) end = path_list.size();
        std::string dir = path_list.substr(start, end - start);
        if (dir.empty()) dir = ".";
        std::string candidate = dir + "/" + name;
        struct stat info {};
        if (stat(candidate.c_str(), &info) == 0 && S_ISREG(info.st_mode) &&
            access(candidate.c_str(), X_OK) == 0)
            return candidate;
        start = end + 1;
    }
    return {};
}

SpawnResult spawn_process(const SpawnOptions& options) {
    if (options.argv.empty() || options.argv[0].empty())
        return failure(Stage::Lookup, EINVAL, "an empty command");

    // Everything the child needs is allocated here, before fork.
    const std::string executable = find_executable(options.argv[0], lookup_path(options.env));
    if (executable.empty()) return failure(Stage::Exec, ENOENT, options.argv[0]);

    std::vector<char*> argv;
    for (const auto& arg : options.argv) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);

    std::vector<std::string> env_storage;
    env_storage.reserve(options.env.size() + 1);
    for (const auto& entry : options.env)
        if (!options.set_listen_pid || entry.rfind("LISTEN_PID=", 0) != 0) env_storage.push_back(entry);
    char* listen_pid_digits = nullptr;
    if (options.set_listen_pid) {
        env_storage.push_back("LISTEN_PID=" + std::string(24, '\0'));
        listen_pid_digits = env_storage.back().data() + std::strlen("LISTEN_PID=");
    }
    std::vector<char*> envp;
    for (auto& entry : env_storage) envp.push_back(entry.data());
    envp.push_back(nullptr);

    int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null_fd < 0) return failure(Stage::Dup, errno, "/dev/null");

    int error_pipe[2];
    if (pipe2(error_pipe, O_CLOEXEC) != 0) {
        int saved = errno;
        close(null_fd);
        return failure(Stage::Fork, saved, options.argv[0]);
    }

    const int stdout_fd = options.stdout_fd >= 0 ? options.stdout_fd : null_fd;
    const int stderr_fd = options.stderr_fd >= 0 ? options.stderr_fd : null_fd;
    const int pass_count = static_cast<int>(options.pass_fds.size());
    // Sources are moved above every target first, so that placing fd i at
    // 3+i never clobbers a source still needed (libuv does the same).
    const int first_free = 3 + pass_count + 3;
    const pid_t parent = getpid();

    pid_t pid = fork();
    if (pid < 0) {
        int saved = errno;
        close(error_pipe[0]);
        close(error_pipe[1]);
        close(null_fd);
        return failure(Stage::Fork, saved, options.argv[0]);
    }

    if (pid == 0) {
        // Child: async-signal-safe calls only from here on.
        setpgid(0, 0);
        if (options.parent_death_signal > 0) {
            prctl(PR_SET_PDEATHSIG, options.parent_death_signal);
            // The parent died between fork and prctl: the signal will never come.
            if (getppid() != parent) _exit(127);
        }
        sigset_t all;
        sigemptyset(&all);
        sigprocmask(SIG_SETMASK, &all, nullptr);
        for (int sig = 1; sig < NSIG; ++sig) signal(sig, SIG_DFL);

        int sources[3 + 64];
        int count = pass_count > 64 ? 64 : pass_count;
        int stdio[3] = {null_fd, stdout_fd, stderr_fd};
        for (int i = 0; i < 3; ++i) {
            sources[i] = fcntl(stdio[i], F_DUPFD_CLOEXEC, first_free);
            if (sources[i] < 0) child_fail(error_pipe[1], Stage::Dup);
        }
        for (int i = 0; i < count; ++i) {
            sources[3 + i] = fcntl(options.pass_fds[i], F_DUPFD_CLOEXEC, first_free);
            if (sources[3 + i] < 0) child_fail(error_pipe[1], Stage::Dup);
        }
        // dup2 clears CLOEXEC on the target, which is exactly what we pass on.
        for (int i = 0; i < 3 + count; ++i)
            if (dup2(sources[i], i) < 0) child_fail(error_pipe[1], Stage::Dup);
        // Everything else svd holds is CLOEXEC already; this also covers fds
        // opened by libraries that forgot the flag.
        syscall(SYS_close_range, 3 + count, ~0U, 4 /* CLOSE_RANGE_CLOEXEC */);
        fcntl(error_pipe[1], F_SETFD, FD_CLOEXEC);

        if (!options.directory.empty() && chdir(options.directory.c_str()) != 0)
            child_fail(error_pipe[1], Stage::Chdir);
        if (options.umask) ::umask(*options.umask);
        if (listen_pid_digits) write_decimal(listen_pid_digits, static_cast<long>(getpid()));
        execve(executable.c_str(), argv.data(), envp.data());
        child_fail(error_pipe[1], Stage::Exec);
    }

    // Parent. Also setpgid here, so the group exists before anyone signals it.
    setpgid(pid, pid);
    close(error_pipe[1]);
    close(null_fd);
    ChildFailure child_failure{};
    ssize_t got;
    do {
        got = read(error_pipe[0], &child_failure, sizeof child_failure);
    } while (got < 0 && errno == EINTR);
    close(error_pipe[0]);

    if (got == static_cast<ssize_t>(sizeof child_failure)) {
        // The child is already on its way to _exit(127): collect it here so
        // it is never mistaken for a program that ran.
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        const auto stage = static_cast<Stage>(child_failure.stage);
        std::string what = stage == Stage::Chdir ? options.directory : executable;
        return failure(stage, child_failure.error, what);
    }
    SpawnResult result;
    result.pid = pid;
    return result;
}

} // namespace svd::spawn
