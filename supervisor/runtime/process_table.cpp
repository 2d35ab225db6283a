#include "runtime/process_table.h"

#include <cerrno>
#include <cstdlib>
#include <dirent.h>
#include <fcntl.h>
#include <map>
#include <sstream>
#include <unistd.h>

namespace svd::runtime {

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
    std::string text = read_small_file("/proc/" + std::to_string(pid) + "/stat");
    // The command name (field 2) may hold spaces and parentheses: fields
    // after it are counted from the last ')'.
    auto close = text.rfind(')');
    if (close == std::string::npos) return false;
    std::istringstream fields(text.substr(close + 1));
    std::vector<std::string> values;
    std::string field;
    while (values.size() < 20 && fields >> field) values.push_back(field);
    if (values.size() < 20) return false;
    out.pid = pid;
    out.state = values[0].empty() ? '?' : values[0][0];
    out.ppid = static_cast<pid_t>(std::strtol(values[1].c_str(), nullptr, 10));
    out.pgrp = static_cast<pid_t>(std::strtol(values[2].c_str(), nullptr, 10));
    out.start_time = std::strtoull(values[19].c_str(), nullptr, 10);
    return true;
}

std::vector<ProcessInfo> read_process_table() {
    std::vector<ProcessInfo> out;
    DIR* proc = opendir("/proc");
    if (!proc) return out;
    while (dirent* entry = readdir(proc)) {
        char* end = nullptr;
        long pid = std::strtol(entry->d_name, &end, 10);
        if (pid <= 0 || *end != '\0') continue;
        ProcessInfo info;
        if (read_process(static_cast<pid_t>(pid), info)) out.push_back(info);
    }
    closedir(proc);
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

} // namespace svd::runtime
