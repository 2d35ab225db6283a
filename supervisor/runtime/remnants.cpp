#include "runtime/remnants.h"

#include <algorithm>
#include <csignal>
#include <spdlog/spdlog.h>
#include <unistd.h>

namespace svd::runtime {

namespace {

/// `known` plus what is in `pgid`'s tree now, each process once.
std::vector<ProcessInfo> current_members(pid_t pgid, const std::vector<ProcessInfo>& known) {
    std::vector<ProcessInfo> members = tree_of_group(read_process_table(), pgid);
    for (const auto& process : known) {
        bool listed = std::any_of(members.begin(), members.end(),
                                  [&](const ProcessInfo& member) { return member.pid == process.pid; });
        if (!listed && still_running(process.pid, process.start_time)) members.push_back(process);
    }
    const pid_t self = getpid();
    members.erase(std::remove_if(members.begin(), members.end(), [&](const ProcessInfo& p) { return p.pid == self; }),
                  members.end());
    return members;
}

} // namespace

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
    if (group_held) ::kill(-entry.pgid, signal);
}

void Remnants::start_timer(Entry& entry, std::chrono::milliseconds timeout) {
    entry.owner = this;
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
    entry.members = current_members(leader, {});
    entry.fds = std::move(fds);
    spdlog::info("{}: no longer in the config; stopping pid {} ({} process{}) with SIG{}, SIGKILL after {} ms", name,
                 leader, entry.members.size(), entry.members.size() == 1 ? "" : "es", sigabbrev_np(signal),
                 timeout.count());
    kill_members(entry, signal);
    start_timer(entry, timeout);
}

void Remnants::drain(const std::string& name, pid_t pgid, const std::vector<ProcessInfo>& known, int signal,
                     std::chrono::milliseconds timeout) {
    std::vector<ProcessInfo> members = current_members(pgid, known);
    if (members.empty()) return;
    Entry& entry = entries_.emplace_back();
    entry.name = name;
    entry.pgid = pgid;
    entry.members = std::move(members);
    std::string pids;
    for (const auto& member : entry.members) pids += (pids.empty() ? "" : " ") + std::to_string(member.pid);
    spdlog::info("{}: main process {} exited; SIG{} to the rest of its tree ({}), SIGKILL after {} ms", name, pgid,
                 sigabbrev_np(signal), pids, timeout.count());
    kill_members(entry, signal);
    start_timer(entry, timeout);
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
    for (auto& entry : entries_) {
        if (!entry.leader_alive || entry.pgid != pid) continue;
        entry.leader_alive = false;
        for (int fd : entry.fds) ::close(fd);
        entry.fds.clear();
        // Whatever else is left keeps its timer; nothing left: done.
        entry.members = current_members(entry.pgid, entry.members);
        if (entry.members.empty()) forget(entry);
        return true;
    }
    return false;
}

void Remnants::forget(Entry& entry) {
    for (int fd : entry.fds) ::close(fd);
    entries_.remove_if([&](const Entry& other) { return &other == &entry; });
}

} // namespace svd::runtime
