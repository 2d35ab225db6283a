// runtime/: what is left of a program that svd no longer supervises as a
// program, ended with the same stop sequence a program gets (stop signal,
// stop_timeout, then SIGKILL), never at once:
//   - a program removed from the config across `svctl reload`: its leader
//     still runs, and the new image has no slot for it;
//   - the rest of a program's tree after its main process exited (systemd's
//     KillMode=mixed): workers draining on TERM get their stop_timeout.
// Processes that left the group (setsid) are found by parent links and get
// the same signals.
#pragma once

#include "loop/handle.h"
#include "procs/process_table.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <functional>
#include <list>
#include <map>
#include <string>
#include <sys/types.h>
#include <uv.h>
#include <vector>

namespace svd::runtime {

using procs::ProcessInfo;
using procs::read_process;
using procs::read_process_table;
using procs::read_small_file;
using procs::still_running;
using procs::tree_of_group;

class Remnants {
public:
    explicit Remnants(uv_loop_t* loop) : loop_(loop) {}
    /// SIGKILLs whatever is still draining (svd exits).
    ~Remnants();
    Remnants(const Remnants&) = delete;
    Remnants& operator=(const Remnants&) = delete;

    /// `leader` (svd's child, leading its group) is no program any more:
    /// `signal` to its tree now, SIGKILL after `timeout`. `fds` (its output
    /// pipes) are closed once it is gone.
    void stop_group(const std::string& name, pid_t leader, int signal, std::chrono::milliseconds timeout,
                    std::vector<int> fds);
    /// The leader `pgid` was reaped: the rest of its tree, and `known`
    /// (processes seen in it before that may have left it since), get
    /// `signal` now and SIGKILL after `timeout`.
    void drain(const std::string& name, pid_t pgid, const std::vector<ProcessInfo>& known, int signal,
               std::chrono::milliseconds timeout);
    /// `pid` was reaped: true when it was a leader that stop_group() ends.
    [[nodiscard]] bool reaped(pid_t pid);
    /// Sends `signal` to the processes of `pgid`'s tree that left its group
    /// (setsid), and remembers them for drain(): once the leader is gone
    /// their parent links no longer lead to it.
    void signal_escaped(pid_t pgid, int signal);
    /// svd is shutting down and every program is down: what is still a
    /// child of svd and not in `tracked` (orphans of programs, reparented
    /// to svd as subreaper, e.g. after `setsid env -i`) gets `signal`, and
    /// SIGKILL after `timeout`.
    void end_orphans(const std::function<bool(pid_t)>& tracked, int signal, std::chrono::milliseconds timeout);
    /// A program's process that escaped its group and is now svd's child:
    /// ended like drain() ends a tree, unless it is being ended already.
    void end_escapee(const std::string& name, pid_t pid, int signal, std::chrono::milliseconds timeout);
    /// SIGKILL now to everything still being ended (a second SIGTERM to svd).
    void kill_all();
    /// svctl reload: what is still being ended, with the time it has left
    /// and the fds it holds, for the new image to carry on with.
    nlohmann::json export_state() const;
    /// In the new image: carries on with what export_state() listed.
    void adopt(const nlohmann::json& state);
    /// Trees still being ended.
    std::size_t size() const { return entries_.size(); }
    /// Runs whenever the last tree is done.
    std::function<void()> on_empty;

private:
    struct Entry {
        Remnants* owner = nullptr;
        std::string name;
        pid_t pgid = 0;
        bool leader_alive = false;
        std::vector<ProcessInfo> members;
        std::vector<int> fds;
        int signal = SIGTERM;
        uint64_t deadline = 0; ///< uv_now() when SIGKILL is due
        loop::Timer timer;
    };
    void start_timer(Entry& entry, std::chrono::milliseconds timeout);
    void expire(Entry& entry);
    void forget(Entry& entry);
    static void kill_members(Entry& entry, int signal);
    /// The process table, read at most once per loop turn (a `stop all` of
    /// 1,000 programs must not read /proc 1,000 times).
    const std::vector<ProcessInfo>& table();
    std::vector<ProcessInfo> current_members(pid_t pgid, const std::vector<ProcessInfo>& known);
    Entry& add(const std::string& name, pid_t pgid, std::vector<ProcessInfo> members, int signal,
               std::chrono::milliseconds timeout);

    std::vector<ProcessInfo> table_;
    uint64_t table_read_at_ = ~0ull;
    std::map<pid_t, std::vector<ProcessInfo>> escaped_; ///< by the group they left

    uv_loop_t* loop_;
    std::list<Entry> entries_;
};

} // namespace svd::runtime
