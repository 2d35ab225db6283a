// What survives an svd that dies without stopping its programs (kill -9, the
// OOM killer, a crash). Two guards:
//   1. every program is spawned with PR_SET_PDEATHSIG = SIGKILL, so its main
//      process dies with svd;
//   2. the process groups svd's programs lead are listed in
//      run_dir/svd.state, and the next svd on the same tree ends what is
//      left of them (processes a program forked, which PDEATHSIG does not
//      reach) before it binds sockets or starts anything.
// The file is rewritten (to svd.state.new, then renamed) at most once per
// loop iteration, only when a program started or was reaped, so an idle svd
// never wakes up for it; a clean exit leaves no file.
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
};

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
