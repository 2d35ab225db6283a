#include "runtime/remnants.h"

#include "text/join.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <spdlog/spdlog.h>
#include <unistd.h>

namespace svd::runtime {

const std::vector<ProcessInfo>& Remnants::table() {
    // One read serves every signal of a burst (stop all, shutdown): set_timer
    // moves uv_now between programs, so "the same loop turn" would read /proc
    // once per program (1,000 programs: 16 s for `stop all`). A process that
    // escapes within the window is still found when its leader exits.
    constexpr uint64_t kReuseMs = 50;
    uint64_t now = uv_now(loop_);
    if (table_read_at_ == 0 || now - table_read_at_ >= kReuseMs || now < table_read_at_) {
        table_ = read_process_table();
        table_read_at_ = now;
    }
    return table_;
}

/// `known` plus what is in `pgid`'s tree now, each process once.
std::vector<ProcessInfo> Remnants::current_members(pid_t pgid, const std::vector<ProcessInfo>& known) {
    std::vector<ProcessInfo> members = tree_of_group(table(), pgid);
    for (const auto& process : known) {
        bool listed = std::any_of(members.begin(), members.end(),
                                  [&](const ProcessInfo& member) { return member.pid == process.pid; });
        if (!listed && still_running(process.pid, process.start_time)) members.push_back(process);
    }
    const pid_t self = getpid();
    members.erase(std::remove_if(members.begin(), members.end(),
                                 [&](const ProcessInfo& p) { return p.pid == self || !still_running(p.pid, p.start_time); }),
                  members.end());
    return members;
}

void Remnants::signal_escaped(pid_t pgid, int signal) {
    auto& escaped = escaped_[pgid];
    for (const auto& process : tree_of_group(table(), pgid)) {
        if (process.pgrp == pgid) continue; // the group signal reaches it
        if (std::none_of(escaped.begin(), escaped.end(), [&](const ProcessInfo& e) { return e.pid == process.pid; }))
            escaped.push_back(process);
    }
    for (const auto& process : escaped)
        if (still_running(process.pid, process.start_time)) ::kill(process.pid, signal);
    if (escaped.empty()) escaped_.erase(pgid);
}

void Remnants::end_orphans(const std::function<bool(pid_t)>& tracked, int signal, std::chrono::milliseconds timeout) {
    const pid_t self = getpid();
    std::vector<ProcessInfo> orphans;
    for (const auto& process : read_process_table())
        if (process.ppid == self && process.state != 'Z' && !tracked(process.pid)) orphans.push_back(process);
    if (orphans.empty()) return;
    std::map<pid_t, std::vector<ProcessInfo>> by_group;
    for (const auto& orphan : orphans) by_group[orphan.pgrp].push_back(orphan);
    for (auto& [pgrp, members] : by_group) {
        std::string pids = text::join(members, " ", [](const ProcessInfo& member) { return std::to_string(member.pid); });
        spdlog::warn("shutdown: process{} {} left by programs (outside their groups); SIG{}, SIGKILL after {} ms",
                     members.size() == 1 ? "" : "es", pids, sigabbrev_np(signal), timeout.count());
        add("orphans", pgrp, current_members(pgrp, members), signal, timeout);
    }
}


Remnants::~Remnants() {
    for (auto& entry : entries_) {
        kill_members(entry, SIGKILL);
        for (int fd : entry.fds) ::close(fd);
    }
}

void Remnants::kill_members(Entry& entry, int signal) {
    // The group id is safe to signal while its leader is unreaped, or while
    // a member we saw with its start time still runs in it.
    bool group_held = entry.leader_alive;
    for (const auto& member : entry.members) {
        if (!still_running(member.pid, member.start_time)) continue;
        ProcessInfo now;
        if (read_process(member.pid, now) && now.pgrp == entry.pgid) group_held = true;
        ::kill(member.pid, signal);
    }
    if (group_held && entry.pgid != getpgrp()) ::kill(-entry.pgid, signal);
}

void Remnants::start_timer(Entry& entry, std::chrono::milliseconds timeout) {
    entry.owner = this;
    entry.deadline = uv_now(loop_) + static_cast<uint64_t>(std::max<long long>(0, timeout.count()));
    uv_timer_init(loop_, entry.timer.make());
    entry.timer->data = &entry; // list nodes do not move
    uv_timer_start(
        entry.timer.get(),
        [](uv_timer_t* timer) {
            if (auto* entry = static_cast<Entry*>(timer->data)) entry->owner->expire(*entry);
        },
        static_cast<uint64_t>(std::max<long long>(0, timeout.count())), 0);
}

void Remnants::stop_group(const std::string& name, pid_t leader, int signal, std::chrono::milliseconds timeout,
                          std::vector<int> fds) {
    Entry& entry = entries_.emplace_back();
    entry.name = name;
    entry.pgid = leader;
    entry.leader_alive = true;
    entry.members = current_members(leader, escaped_[leader]);
    escaped_.erase(leader);
    entry.fds = std::move(fds);
    entry.signal = signal;
    spdlog::info("{}: no longer in the config; stopping pid {} ({} process{}) with SIG{}, SIGKILL after {} ms", name,
                 leader, entry.members.size(), entry.members.size() == 1 ? "" : "es", sigabbrev_np(signal),
                 timeout.count());
    kill_members(entry, signal);
    start_timer(entry, timeout);
}

Remnants::Entry& Remnants::add(const std::string& name, pid_t pgid, std::vector<ProcessInfo> members, int signal,
                               std::chrono::milliseconds timeout) {
    Entry& entry = entries_.emplace_back();
    entry.name = name;
    entry.pgid = pgid;
    entry.members = std::move(members);
    entry.signal = signal;
    kill_members(entry, signal);
    start_timer(entry, timeout);
    return entry;
}

void Remnants::drain(const std::string& name, pid_t pgid, const std::vector<ProcessInfo>& known, int signal,
                     std::chrono::milliseconds timeout) {
    std::vector<ProcessInfo> also = known;
    if (auto escaped = escaped_.find(pgid); escaped != escaped_.end()) {
        also.insert(also.end(), escaped->second.begin(), escaped->second.end());
        escaped_.erase(escaped);
    }
    // The common case, a group that ended with its main process, costs one
    // kill(2), not a read of the whole process table: with 1,000 programs
    // `stop all` read /proc once per exit (16 s instead of 1 s). What left
    // the group and outlived its parent is svd's child (the subreaper) and
    // is found by find_escapees.
    if (also.empty() && ::kill(-pgid, 0) != 0 && errno == ESRCH) return;
    std::vector<ProcessInfo> members = current_members(pgid, also);
    if (members.empty()) return;
    std::string pids = text::join(members, " ", [](const ProcessInfo& member) { return std::to_string(member.pid); });
    spdlog::info("{}: main process {} exited; SIG{} to the rest of its tree ({}), SIGKILL after {} ms", name, pgid,
                 sigabbrev_np(signal), pids, timeout.count());
    add(name, pgid, std::move(members), signal, timeout);
}

void Remnants::end_escapee(const std::string& name, pid_t pid, int signal, std::chrono::milliseconds timeout) {
    for (const auto& entry : entries_)
        for (const auto& member : entry.members)
            if (member.pid == pid) return;
    ProcessInfo info;
    if (!read_process(pid, info) || info.state == 'Z') return;
    spdlog::warn("{}: pid {} escaped its process group; SIG{} with the program, SIGKILL after {} ms", name, pid,
                 sigabbrev_np(signal), timeout.count());
    add(name, info.pgrp, current_members(info.pgrp, {info}), signal, timeout);
}

void Remnants::expire(Entry& entry) {
    std::vector<ProcessInfo> left;
    for (const auto& member : entry.members)
        if (still_running(member.pid, member.start_time)) left.push_back(member);
    if (!left.empty() || entry.leader_alive)
        spdlog::warn("{}: {} process{} still running after the stop timeout; SIGKILL", entry.name, left.size(),
                     left.size() == 1 ? "" : "es");
    entry.members = current_members(entry.pgid, entry.members);
    kill_members(entry, SIGKILL);
    if (!entry.leader_alive) forget(entry);
    // A leader still alive is forgotten once reaped.
}

bool Remnants::reaped(pid_t pid) {
    bool was_leader = false;
    for (auto& entry : entries_) {
        if (!entry.leader_alive || entry.pgid != pid) continue;
        entry.leader_alive = false;
        for (int fd : entry.fds) ::close(fd);
        entry.fds.clear();
        entry.members = current_members(entry.pgid, entry.members);
        was_leader = true;
        break;
    }
    // Remnants are svd's children (as subreaper): once the last of a tree
    // is reaped, its timer has nothing left to do.
    std::vector<Entry*> done;
    for (auto& entry : entries_)
        if (!entry.leader_alive && std::none_of(entry.members.begin(), entry.members.end(), [](const ProcessInfo& m) {
                return still_running(m.pid, m.start_time);
            }))
            done.push_back(&entry);
    for (Entry* entry : done) forget(*entry);
    return was_leader;
}

void Remnants::kill_all() {
    for (auto& entry : entries_) {
        entry.members = current_members(entry.pgid, entry.members);
        kill_members(entry, SIGKILL);
    }
}

nlohmann::json Remnants::export_state() const {
    nlohmann::json out = nlohmann::json::array();
    const uint64_t now = uv_now(loop_);
    for (const auto& entry : entries_) {
        nlohmann::json members = nlohmann::json::array();
        for (const auto& member : entry.members) members.push_back({member.pid, member.start_time});
        out.push_back({{"name", entry.name},
                       {"pgid", entry.pgid},
                       {"leader_alive", entry.leader_alive},
                       {"members", members},
                       {"fds", entry.fds},
                       {"signal", entry.signal},
                       {"left_ms", entry.deadline > now ? entry.deadline - now : 0}});
    }
    return out;
}

void Remnants::adopt(const nlohmann::json& state) {
    if (!state.is_array()) return;
    for (const auto& saved : state) {
        Entry& entry = entries_.emplace_back();
        entry.name = saved.value("name", std::string("?"));
        entry.pgid = saved.value("pgid", 0);
        entry.leader_alive = saved.value("leader_alive", false);
        entry.signal = saved.value("signal", SIGTERM);
        entry.fds = saved.value("fds", std::vector<int>{});
        for (const auto& member : saved.value("members", nlohmann::json::array())) {
            ProcessInfo info;
            info.pid = member[0].get<pid_t>();
            info.start_time = member[1].get<unsigned long long>();
            info.pgrp = entry.pgid;
            entry.members.push_back(info);
        }
        start_timer(entry, std::chrono::milliseconds(saved.value("left_ms", 0ULL)));
    }
}

void Remnants::forget(Entry& entry) {
    for (int fd : entry.fds) ::close(fd);
    entries_.remove_if([&](const Entry& other) { return &other == &entry; });
    if (entries_.empty() && on_empty) on_empty();
}

} // namespace svd::runtime
