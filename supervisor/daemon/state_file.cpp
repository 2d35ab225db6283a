#include "daemon/state_file.h"
#include "runtime/process_table.h"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <spdlog/spdlog.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace svd::daemon {
namespace {

using runtime::ProcessInfo;
using runtime::read_process;
using runtime::read_process_table;
using runtime::read_small_file;


constexpr const char* kHeader = "svd-state 1";

/// Identifies this boot: pids and start times of another boot mean nothing.
std::string boot_id() {
    std::string id = read_small_file("/proc/sys/kernel/random/boot_id");
    while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.pop_back();
    return id.empty() ? "unknown" : id;
}

bool gone_or_zombie(pid_t pid) {
    ProcessInfo stat;
    return !read_process(pid, stat) || stat.state == 'Z' || stat.state == 'X';
}

} // namespace

unsigned long long process_start_time(pid_t pid) {
    ProcessInfo stat;
    return read_process(pid, stat) ? stat.start_time : 0;
}

StateFile::StateFile(uv_loop_t* loop, std::string path)
    : loop_(loop), path_(std::move(path)), boot_id_(boot_id()) {
    uv_check_init(loop_, check_.make());
    check_->data = this;
}

StateFile::~StateFile() { close(); }

void StateFile::close() { check_.reset(); }

void StateFile::add(pid_t pgid, const std::string& name) {
    groups_[pgid] = Group{process_start_time(pgid), name};
    dirty_ = true;
    // A check handle runs after the loop's next poll, once; an idle loop has
    // it stopped, so it costs no wake-up.
    if (check_)
        uv_check_start(check_.get(), [](uv_check_t* handle) {
            if (auto* self = static_cast<StateFile*>(handle->data)) self->flush();
        });
}

void StateFile::remove(pid_t pgid) {
    if (groups_.erase(pgid) == 0) return;
    dirty_ = true;
    if (check_)
        uv_check_start(check_.get(), [](uv_check_t* handle) {
            if (auto* self = static_cast<StateFile*>(handle->data)) self->flush();
        });
}

void StateFile::flush() {
    if (check_) uv_check_stop(check_.get());
    if (!dirty_) return;
    dirty_ = false;
    if (groups_.empty()) {
        ::unlink(path_.c_str());
        return;
    }
    std::string text = std::string(kHeader) + " " + boot_id_ + "\n";
    for (const auto& [pgid, group] : groups_)
        text += std::to_string(pgid) + " " + std::to_string(group.start_time) + " " + group.name + "\n";
    std::string temporary = path_ + ".new";
    int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        spdlog::warn("cannot write {}: {}", temporary, std::strerror(errno));
        return;
    }
    std::size_t done = 0;
    while (done < text.size()) {
        ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        done += static_cast<std::size_t>(n);
    }
    ::close(fd);
    if (done != text.size() || ::rename(temporary.c_str(), path_.c_str()) != 0) {
        spdlog::warn("cannot write {}: {}", path_, std::strerror(errno));
        ::unlink(temporary.c_str());
    }
}

void StateFile::discard() {
    groups_.clear();
    dirty_ = false;
    if (check_) uv_check_stop(check_.get());
    ::unlink(path_.c_str());
}

int end_leftovers(const std::string& path) {
    std::string text = read_small_file(path);
    if (text.empty()) return 0;
    std::istringstream lines(text);
    std::string header;
    std::getline(lines, header);
    const std::string expected_header = std::string(kHeader) + " " + boot_id();
    if (header != expected_header) {
        // Another boot (or format): its pids are someone else's now.
        ::unlink(path.c_str());
        return 0;
    }
    struct Group {
        pid_t pgid;
        unsigned long long start_time;
        std::string name;
    };
    std::vector<Group> groups;
    std::string line;
    while (std::getline(lines, line)) {
        std::istringstream fields(line);
        Group group{};
        if (fields >> group.pgid >> group.start_time >> group.name && group.pgid > 1) groups.push_back(group);
    }
    if (groups.empty()) {
        ::unlink(path.c_str());
        return 0;
    }

    const std::vector<ProcessInfo> processes = read_process_table();
    const pid_t self = getpid();
    std::vector<pid_t> killed;
    for (const Group& group : groups) {
        // A live process with the leader's pid but another start time means
        // the id was reused: that group is not ours.
        bool reused = false;
        for (const ProcessInfo& process : processes)
            if (process.pid == group.pgid && process.start_time != group.start_time) reused = true;
        if (reused) continue;
        std::vector<pid_t> members;
        for (const ProcessInfo& process : processes) {
            if (process.pgrp != group.pgid || process.pid == self || process.state == 'Z') continue;
            if (process.start_time < group.start_time) continue;
            if (::kill(process.pid, SIGKILL) == 0) members.push_back(process.pid);
        }
        if (members.empty()) continue;
        std::string pids;
        for (pid_t pid : members) pids += (pids.empty() ? "" : " ") + std::to_string(pid);
        spdlog::warn("{}: killed {} process{} left running by an svd that died: {}", group.name, members.size(),
                     members.size() == 1 ? "" : "es", pids);
        killed.insert(killed.end(), members.begin(), members.end());
    }
    // They are no children of ours: wait until the kernel has taken them
    // down (and with them the sockets and files they held).
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    for (pid_t pid : killed)
        while (!gone_or_zombie(pid) && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
    ::unlink(path.c_str());
    return static_cast<int>(killed.size());
}

} // namespace svd::daemon
