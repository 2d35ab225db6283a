// What survives an svd that dies without stopping its programs (kill -9, the
// OOM killer, a crash). Two guards:
//   1. every program is spawned with PR_SET_PDEATHSIG = SIGKILL, so its main
//      process dies with svd;
//   2. the process groups svd's programs lead are listed in
//      run_dir/svd.state, and the next svd on the same tree ends what is
//      left of them (processes a program forked, which PDEATHSIG does not
//      reach) before it binds sockets or starts anything.
// Write-ahead: each program's child appends "pgid ticks name" to
// run_dir/svd.state.journal itself, before it execs (spawn/spawn.h,
// record_fd), so there is no instant at which a program runs and is not on
// record. The file is rewritten (to svd.state.new, then renamed) at most
// once per loop iteration, only when a program started or was reaped, so
// an idle svd never wakes up for it, and the journal is then emptied; a
// clean exit leaves neither.
//
// The next svd *ends* what it finds rather than adopting it: those
// processes are not its children (it can neither reap them nor learn how
// they exit), their output pipes died with the old svd, and their main
// processes are already gone (PDEATHSIG), so what is left are fragments
// of programs. Ending them and starting each program afresh is the only
// state svd can vouch for.
//
// Both files are trusted only when they are regular files (no symlink is
// followed) of svd's uid with mode 0600, and each process is re-checked
// (uid, start time) before it is signalled.
#pragma once

#include "loop/handle.h"

#include <map>
#include <string>
#include <sys/types.h>
#include <uv.h>

namespace svd::daemon {

class StateFile {
public:
    StateFile(uv_loop_t* loop, std::string path);
    ~StateFile();
    StateFile(const StateFile&) = delete;
    StateFile& operator=(const StateFile&) = delete;

    /// `pgid` (a program's process, leading its own group) was just spawned.
    void add(pid_t pgid, const std::string& name);
    /// The leader `pgid` was reaped (its group was killed with it).
    void remove(pid_t pgid);
    /// Writes the file now if anything changed.
    void flush();
    /// Removes the file: nothing is left to clean up (a clean exit).
    void discard();
    /// Closes the loop handle (the loop must run once more to free it).
    void close();
    /// The O_APPEND fd children write their record to (-1 if unavailable).
    int journal_fd() const { return journal_fd_; }

private:
    struct Group {
        unsigned long long start_time; ///< of the leader, in clock ticks since boot
        std::string name;
    };
    uv_loop_t* loop_;
    std::string path_;
    std::string boot_id_;
    std::map<pid_t, Group> groups_;
    loop::Handle<uv_check_t> check_;
    bool dirty_ = false;
    int journal_fd_ = -1;

    void restart_journal();
};

/// Where the write-ahead journal of the state file at `path` lives.
std::string journal_path(const std::string& path);

/// Reads the state file an earlier svd left at `path`, SIGKILLs every
/// process still in the process groups it lists (a process counts only if
/// it started no earlier than the group's leader did, and the group id was
/// not taken by a new leader: pid reuse is never a reason to kill), waits
/// until they are gone (up to 5 s) and removes the file. Logs what it did.
/// Returns how many processes it killed.
int end_leftovers(const std::string& path);

/// The start time of `pid` (field 22 of /proc/PID/stat), 0 when it is gone.
unsigned long long process_start_time(pid_t pid);

} // namespace svd::daemon
