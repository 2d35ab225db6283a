#include "procs/process_table.h"

#include <cerrno>
#include <fcntl.h>
#include <libproc2/pids.h>
#include <map>
#include <unistd.h>

namespace svd::procs {
namespace {

// What svd asks of each process, in this order (the index of each in a
// libproc2 result stack).
enum pids_item kItems[] = {PIDS_ID_PID, PIDS_ID_PPID, PIDS_ID_PGRP, PIDS_STATE, PIDS_TICS_BEGAN};
enum Field { kPid, kPpid, kPgrp, kState, kBegan };

/// libproc2's reading context, made once per svd: it keeps the buffers
/// reused by each reap or select.
class Reader {
public:
    Reader() {
        if (procps_pids_new(&info_, kItems, sizeof kItems / sizeof kItems[0]) < 0) info_ = nullptr;
    }
    ~Reader() {
        if (info_) procps_pids_unref(&info_);
    }
    Reader(const Reader&) = delete;
    Reader& operator=(const Reader&) = delete;
    pids_info* get() { return info_; }

private:
    pids_info* info_ = nullptr;
};

pids_info* reader() {
    static Reader instance;
    return instance.get();
}

ProcessInfo from_stack(pids_stack* stack) {
    ProcessInfo out;
    out.pid = PIDS_VAL(kPid, s_int, stack, reader());
    out.ppid = PIDS_VAL(kPpid, s_int, stack, reader());
    out.pgrp = PIDS_VAL(kPgrp, s_int, stack, reader());
    out.state = static_cast<char>(PIDS_VAL(kState, s_ch, stack, reader()));
    out.start_time = PIDS_VAL(kBegan, ull_int, stack, reader());
    return out;
}

} // namespace

std::string read_small_file(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return {};
    std::string content;
    char buffer[4096];
    for (;;) {
        ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        content.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return content;
}

bool read_process(pid_t pid, ProcessInfo& out) {
    pids_info* info = reader();
    if (!info || pid <= 0) return false;
    unsigned wanted = static_cast<unsigned>(pid);
    pids_fetch* fetched = procps_pids_select(info, &wanted, 1, PIDS_SELECT_PID);
    if (!fetched || fetched->counts->total < 1) return false;
    out = from_stack(fetched->stacks[0]);
    return out.pid == pid;
}

std::vector<ProcessInfo> read_process_table() {
    std::vector<ProcessInfo> out;
    pids_info* info = reader();
    if (!info) return out;
    pids_fetch* fetched = procps_pids_reap(info, PIDS_FETCH_TASKS_ONLY);
    if (!fetched) return out;
    out.reserve(static_cast<std::size_t>(fetched->counts->total));
    for (int i = 0; i < fetched->counts->total; ++i) out.push_back(from_stack(fetched->stacks[i]));
    return out;
}

std::vector<ProcessInfo> tree_of_group(const std::vector<ProcessInfo>& table, pid_t pgid) {
    std::multimap<pid_t, const ProcessInfo*> children;
    for (const auto& process : table) children.emplace(process.ppid, &process);
    std::vector<ProcessInfo> out;
    std::set<pid_t> seen;
    std::vector<const ProcessInfo*> pending;
    for (const auto& process : table)
        if (process.pgrp == pgid) pending.push_back(&process);
    while (!pending.empty()) {
        const ProcessInfo* process = pending.back();
        pending.pop_back();
        if (!seen.insert(process->pid).second) continue;
        if (process->state != 'Z' && process->state != 'X') out.push_back(*process);
        auto [first, last] = children.equal_range(process->pid);
        for (auto it = first; it != last; ++it) pending.push_back(it->second);
    }
    return out;
}

bool still_running(pid_t pid, unsigned long long start_time) {
    ProcessInfo info;
    return read_process(pid, info) && info.start_time == start_time && info.state != 'Z' && info.state != 'X';
}

} // namespace svd::procs
