// clone + exec written by hand, because the child must run a little code of
// ours between the two: LISTEN_PID has to be the child's own pid, and fds
// have to land on 3, 4, ... exactly. Everything is allocated in the parent;
// the child only makes async-signal-safe system calls. Like posix_spawn, the
// child shares the parent's memory until it execs (CLONE_VM | CLONE_VFORK:
// no page tables copied, no copy-on-write faults afterwards), and reports a
// failure as (stage, errno) by writing it there before _exit(127).
#pragma once

#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace svd::spawn {

struct SpawnOptions {
    std::vector<std::string> argv;  ///< argv[0]: a path, or a name looked up in PATH from `env`
    std::vector<std::string> env;   ///< "KEY=VALUE" entries, the child's whole environment
    std::string directory;          ///< chdir before exec; empty: stay
    std::optional<mode_t> umask;
    int stdout_fd = -1;             ///< -1: /dev/null
    int stderr_fd = -1;             ///< -1: /dev/null
    std::vector<int> pass_fds;      ///< placed at 3, 4, ... in this order, any number
    bool set_listen_pid = false;    ///< add LISTEN_PID=<the child's own pid>
    /// Sent to the child by the kernel when the calling thread dies
    /// (PR_SET_PDEATHSIG); 0: none. svd uses SIGKILL, so that a `kill -9` of
    /// svd leaves no program behind. If the caller is already gone when the
    /// child gets to set it, the child exits at once instead of exec'ing.
    int parent_death_signal = 0;
    /// Write-ahead record: when >= 0 (an O_APPEND fd), the child writes one
    /// line "<its pid> <clock ticks since boot> <record_tail>" to it before
    /// it execs, so the process group is on record before the program can
    /// run a single instruction of its own (see daemon/state_file.h).
    int record_fd = -1;
    std::string record_tail; ///< e.g. "web\n"
};

struct SpawnResult {
    pid_t pid = -1;       ///< > 0 on success
    int error = 0;        ///< errno of the failure
    std::string message;  ///< "exec /x/y: No such file or directory"
    int record_errno = 0; ///< why the write-ahead record failed (the program runs anyway)
    bool ok() const { return pid > 0; }
};

/// Starts the program as the leader of a new process group with a clean
/// signal mask and default signal dispositions. Returns only after the child
/// has exec'd (or failed to): an exec failure is reported here, never as a
/// mysterious exit code. Never throws.
SpawnResult spawn_process(const SpawnOptions& options);

/// Raises this process's soft limit on open files to its hard limit: svd holds
/// a pipe per program and a socket per client, and 1,024 (the usual soft
/// limit) is too few for a thousand of either. Children get the original
/// limit back before exec, since some programs still use select(). Call once,
/// before spawning.
void raise_open_files_limit();

/// Sets svd's own umask to 027, so that every file svd creates (logs,
/// svd.log, rotated files, sockets before their chmod) is at most 0640,
/// whatever the umask svd was started with (under 000, svd.log was 0666).
/// Children without a `umask` of their own get the original one back. Call
/// once, before spawning.
void keep_files_private();

struct Executable {
    std::string path; ///< empty: not found
    int error = 0;    ///< then ENOENT, or EACCES if some match was not executable
};

/// Finds `name` like execvp would, in the colon-separated `path_list`: a
/// match that is not an executable file is remembered as EACCES and the
/// search goes on. Relative entries ("", ".", "bin") are relative to
/// `directory`, the program's working directory (empty: the current one),
/// because that is where the child execs; the path returned is the one to
/// exec from there. A name containing '/' is returned as is.
Executable find_executable(const std::string& name, const std::string& path_list,
                           const std::string& directory = {});

} // namespace svd::spawn
