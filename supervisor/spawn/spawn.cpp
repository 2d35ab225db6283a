#include "spawn/spawn.h"

#include "spawn/fd_reserve.h"

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <ctime>
#include <sys/wait.h>
#include <unistd.h>

namespace svd::spawn {
namespace {

/// Where the child gave up; the parent turns this into a message.
enum class Stage { None, Lookup, Fork, Dup, Chdir, Exec };

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
    result.error = error;
    result.message = std::string(stage_name(stage)) + " " + what + ": " + std::strerror(error);
    return result;
}

/// Everything the child needs, prepared by the parent. The child shares the
/// parent's memory (CLONE_VM) until it execs, so it reads this in place and
/// reports a failure by writing the last two fields before _exit(127).
struct ChildArgs {
    const char* executable;
    char* const* argv;
    char* const* envp;
    const char* directory; ///< nullptr: stay
    bool set_umask;
    mode_t umask;
    int stdio[3];
    const int* pass_fds;
    int pass_count;
    int first_free;
    int* sources;            ///< 3 + pass_count slots, for the child's first pass
    int open_files_soft;     ///< svd's limit, so no fd is open above it: cloexec_from's bound
    char* listen_pid_digits; ///< nullptr: no LISTEN_PID
    int parent_death_signal;
    pid_t parent;
    bool restore_open_files;
    struct rlimit open_files;
    int record_fd;
    char* record;          ///< room for two numbers, then the tail
    const char* record_tail;
    std::size_t record_tail_size;
    long ticks_per_second;
    volatile int record_errno;
    volatile int failed_stage;
    volatile int failed_errno;
};

[[noreturn]] void child_fail(ChildArgs& args, Stage stage) {
    args.failed_errno = errno;
    args.failed_stage = static_cast<int>(stage);
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

/// The child's write-ahead record (SpawnOptions::record_fd), one write(2)
/// to an O_APPEND fd so that concurrent records never interleave.
void write_record(ChildArgs& args) {
    char* at = args.record;
    write_decimal(at, static_cast<long>(getpid()));
    while (*at) ++at;
    *at++ = ' ';
    struct timespec now {};
    clock_gettime(CLOCK_BOOTTIME, &now);
    long ticks = now.tv_sec * args.ticks_per_second + now.tv_nsec / (1000000000L / args.ticks_per_second);
    write_decimal(at, ticks);
    while (*at) ++at;
    *at++ = ' ';
    for (std::size_t i = 0; i < args.record_tail_size; ++i) *at++ = args.record_tail[i];
    ssize_t length = at - args.record;
    // A full disk must not keep the program from starting: the parent
    // warns, and its own rewrite of the state file records the group later.
    if (write(args.record_fd, args.record, static_cast<std::size_t>(length)) != length) args.record_errno = errno;
}

/// The soft limit on open files svd was started with, restored in children
/// (see raise_open_files_limit); unset while svd never raised it.
struct rlimit original_open_files{};
bool open_files_raised = false;

/// The umask svd was started with, restored in children that set none
/// (see keep_files_private); unset while svd kept its own.
mode_t original_umask = 0;
bool umask_tightened = false;

std::string lookup_path(const std::vector<std::string>& env) {
    for (const auto& entry : env)
        if (entry.rfind("PATH=", 0) == 0) return entry.substr(5);
    return "/usr/local/bin:/usr/bin:/bin";
}

/// Marks every fd from `first` on close-on-exec where close_range cannot:
/// Linux before 5.9 (no close_range) or 5.11 (no CLOSE_RANGE_CLOEXEC), or a seccomp filter
/// refusing it. /proc/self/fd is read with the raw getdents64 system call
/// into a buffer on this stack, as CPython's _posixsubprocess does (opendir
/// would allocate); without /proc, every fd below `limit` is tried.
void cloexec_from(int first, int limit) {
    int dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) {
        for (int fd = first; fd < limit; ++fd) fcntl(fd, F_SETFD, FD_CLOEXEC);
        return;
    }
    struct Dirent64 { // the kernel's struct linux_dirent64
        unsigned long long ino;
        long long off;
        unsigned short reclen;
        unsigned char type;
        char name[1];
    };
    alignas(8) char buffer[4096];
    long n;
    while ((n = syscall(SYS_getdents64, dir, buffer, sizeof buffer)) > 0) {
        for (long at = 0; at < n;) {
            const auto* entry = reinterpret_cast<const Dirent64*>(buffer + at);
            const char* name = buffer + at + offsetof(Dirent64, name);
            at += entry->reclen;
            int fd = 0;
            if (*name < '0' || *name > '9') continue; // "." and ".."
            for (; *name >= '0' && *name <= '9'; ++name) fd = fd * 10 + (*name - '0');
            if (fd >= first && fd != dir) fcntl(fd, F_SETFD, FD_CLOEXEC);
        }
    }
    close(dir);
}

/// The child, on its own stack, in svd's memory, with every signal blocked:
/// system calls only, no allocation, nothing svd could see half-done.
int child_main(void* opaque) {
    ChildArgs& args = *static_cast<ChildArgs*>(opaque);
    if (setpgid(0, 0) != 0) child_fail(args, Stage::Fork);
    if (args.parent_death_signal > 0) {
        prctl(PR_SET_PDEATHSIG, args.parent_death_signal);
        // The parent died before prctl: the signal will never come.
        if (getppid() != args.parent) _exit(127);
    }
    if (args.record_fd >= 0) write_record(args);
    // Default dispositions first, while everything is still blocked, so no
    // handler of svd's ever runs here; then the program's clean mask.
    struct sigaction default_action {};
    default_action.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig) sigaction(sig, &default_action, nullptr);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);

    // First pass: every source above every target (first_free), so that
    // placing fd i at 3+i never clobbers a source still needed; second: dup2.
    int* sources = args.sources;
    const int count = args.pass_count;
    for (int i = 0; i < 3; ++i) {
        sources[i] = fcntl(args.stdio[i], F_DUPFD_CLOEXEC, args.first_free);
        if (sources[i] < 0) child_fail(args, Stage::Dup);
    }
    for (int i = 0; i < count; ++i) {
        sources[3 + i] = fcntl(args.pass_fds[i], F_DUPFD_CLOEXEC, args.first_free);
        if (sources[3 + i] < 0) child_fail(args, Stage::Dup);
    }
    // dup2 clears CLOEXEC on the target, which is exactly what we pass on.
    for (int i = 0; i < 3 + count; ++i)
        if (dup2(sources[i], i) < 0) child_fail(args, Stage::Dup);
    // Everything else svd holds is CLOEXEC already; this also covers fds
    // opened by libraries that forgot the flag.
    if (syscall(SYS_close_range, 3 + count, ~0U, 4 /* CLOSE_RANGE_CLOEXEC */) != 0)
        cloexec_from(3 + count, args.open_files_soft);

    if (args.directory && chdir(args.directory) != 0) child_fail(args, Stage::Chdir);
    if (args.set_umask) ::umask(args.umask);
    if (args.restore_open_files) setrlimit(RLIMIT_NOFILE, &args.open_files);
    if (args.listen_pid_digits) write_decimal(args.listen_pid_digits, static_cast<long>(getpid()));
    execve(args.executable, args.argv, args.envp);
    child_fail(args, Stage::Exec);
}

/// The child's stack: it shares svd's memory but not its stack.
constexpr std::size_t kChildStackBytes = 256 * 1024;

} // namespace

void raise_open_files_limit() {
    struct rlimit limit {};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
    struct rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) != 0) return;
    original_open_files = limit;
    open_files_raised = true;
}

void keep_files_private() {
    original_umask = ::umask(027);
    umask_tightened = true;
}

Executable find_executable(const std::string& name, const std::string& path_list, const std::string& directory) {
    if (name.find('/') != std::string::npos) return {name, 0};
    int error = ENOENT;
    std::size_t start = 0;
    while (start <= path_list.size()) {
        std::size_t end = path_list.find(':', start);
        if (end == std::string::npos) end = path_list.size();
        std::string dir = path_list.substr(start, end - start);
        start = end + 1;
        if (dir.empty()) dir = ".";
        // The child execs `candidate` after chdir(directory); svd checks it from here.
        std::string candidate = dir + "/" + name;
        std::string here = dir[0] != '/' && !directory.empty() ? directory + "/" + candidate : candidate;
        struct stat info {};
        if (stat(here.c_str(), &info) != 0) {
            // Like execvp: a directory we may not search is EACCES, and is remembered.
            if (errno == EACCES) error = EACCES;
            continue;
        }
        // execve fails with EACCES on a non-regular file or one without x.
        if (!S_ISREG(info.st_mode) || access(here.c_str(), X_OK) != 0) {
            error = EACCES;
            continue;
        }
        return {candidate, 0};
    }
    return {{}, error};
}

SpawnResult spawn_process(const SpawnOptions& options) {
    if (options.argv.empty() || options.argv[0].empty())
        return failure(Stage::Lookup, EINVAL, "an empty command");

    // Everything the child needs is allocated here, before fork.
    const Executable found = find_executable(options.argv[0], lookup_path(options.env), options.directory);
    if (found.path.empty()) return failure(Stage::Exec, found.error, options.argv[0]);
    const std::string& executable = found.path;

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

    // At the open-files limit, the reserve's fds are this spawn's.
    ReserveLoan loan;
    int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null_fd < 0) return failure(Stage::Dup, errno, "/dev/null");

    ChildArgs args{};
    args.executable = executable.c_str();
    args.argv = argv.data();
    args.envp = envp.data();
    args.directory = options.directory.empty() ? nullptr : options.directory.c_str();
    args.set_umask = options.umask.has_value() || umask_tightened;
    args.umask = options.umask.value_or(original_umask);
    args.stdio[0] = null_fd;
    args.stdio[1] = options.stdout_fd >= 0 ? options.stdout_fd : null_fd;
    args.stdio[2] = options.stderr_fd >= 0 ? options.stderr_fd : null_fd;
    args.pass_fds = options.pass_fds.data();
    args.pass_count = static_cast<int>(options.pass_fds.size());
    // Sources are moved above every target first, so that placing fd i at
    // 3+i never clobbers a source still needed (libuv does the same).
    args.first_free = 3 + args.pass_count + 3;
    std::vector<int> sources(3 + options.pass_fds.size());
    args.sources = sources.data();
    struct rlimit limit {};
    args.open_files_soft = getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < 1 << 30
                               ? static_cast<int>(limit.rlim_cur)
                               : 1 << 20;
    args.listen_pid_digits = listen_pid_digits;
    args.parent_death_signal = options.parent_death_signal;
    args.parent = getpid();
    args.restore_open_files = open_files_raised;
    std::string record(48 + options.record_tail.size(), '\0');
    args.record_fd = options.record_fd;
    args.record = record.data();
    args.record_tail = options.record_tail.data();
    args.record_tail_size = options.record_tail.size();
    args.ticks_per_second = std::max(1L, sysconf(_SC_CLK_TCK));
    args.open_files = original_open_files;

    void* stack = mmap(nullptr, kChildStackBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK,
                       -1, 0);
    if (stack == MAP_FAILED) {
        int saved = errno;
        close(null_fd);
        return failure(Stage::Fork, saved, options.argv[0]);
    }
    // Not fork(): copying svd's page tables and then taking a copy-on-write
    // fault on every page svd touches afterwards made each spawn cost
    // milliseconds, growing with svd's memory (1,000 programs took 20 s to
    // start). With CLONE_VM the child borrows svd's memory, and CLONE_VFORK
    // holds svd until it has exec'd (or failed, reported in `args`), the way
    // posix_spawn works. Signals stay blocked across, so no handler of ours
    // runs in the child.
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    pid_t pid = clone(child_main, static_cast<char*>(stack) + kChildStackBytes, CLONE_VM | CLONE_VFORK | SIGCHLD,
                      &args);
    int clone_errno = errno;
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    munmap(stack, kChildStackBytes);
    close(null_fd);
    if (pid < 0) return failure(Stage::Fork, clone_errno, options.argv[0]);

    if (args.failed_stage != static_cast<int>(Stage::None)) {
        // The child has _exit(127)ed: collect it here so it is never
        // mistaken for a program that ran.
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        const auto stage = static_cast<Stage>(args.failed_stage);
        std::string what = stage == Stage::Chdir ? options.directory : executable;
        return failure(stage, args.failed_errno, what);
    }
    SpawnResult result;
    result.pid = pid;
    result.record_errno = args.record_errno;
    return result;
}

} // namespace svd::spawn
