#include "daemon/state_file.h"
#include "procs/process_table.h"
#include "text/join.h"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <fstream>
#include <set>
#include <sys/stat.h>
#include <sstream>
#include <spdlog/spdlog.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace svd::daemon {
namespace {

using procs::ProcessInfo;
using procs::read_process;
using procs::read_process_table;
using procs::read_small_file;


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

std::string journal_path(const std::string& path) { return path + ".journal"; }

StateFile::StateFile(uv_loop_t* loop, std::string path)
    : loop_(loop), path_(std::move(path)), boot_id_(boot_id()) {
    uv_check_init(loop_, check_.make());
    check_->data = this;
    journal_fd_ = ::open(journal_path(path_).c_str(), O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (journal_fd_ < 0)
        spdlog::warn("cannot open {}: {}; a program spawned just before svd is killed may be missed",
                     journal_path(path_), std::strerror(errno));
    // After a reload the journal may hold what the old image had not yet
    // written to the file: it is kept until our first rewrite.
    struct stat info {};
    if (journal_fd_ >= 0 && fstat(journal_fd_, &info) == 0 && info.st_size == 0) restart_journal();
}

StateFile::~StateFile() {
    close();
    if (journal_fd_ >= 0) ::close(journal_fd_);
}

void StateFile::restart_journal() {
    if (journal_fd_ < 0) return;
    // Only svd writes it (children write it while svd waits for their exec),
    // so truncating here races with nobody.
    [[maybe_unused]] int truncated = ::ftruncate(journal_fd_, 0);
    std::string header = std::string(kHeader) + " " + boot_id_ + "\n";
    [[maybe_unused]] auto written = ::write(journal_fd_, header.data(), header.size());
}

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
        restart_journal();
        return;
    }
    std::string text = std::string(kHeader) + " " + boot_id_ + "\n";
    for (const auto& [pgid, group] : groups_)
        text += std::to_string(pgid) + " " + std::to_string(group.start_time) + " " + group.name + "\n";
    std::string temporary = path_ + ".new";
    int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
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
        return; // the journal still has what the file lacks
    }
    restart_journal(); // everything it held is in the file now
}

void StateFile::discard() {
    groups_.clear();
    dirty_ = false;
    if (check_) uv_check_stop(check_.get());
    ::unlink(path_.c_str());
    ::unlink(journal_path(path_).c_str());
}

namespace {

struct Recorded {
    pid_t pgid;
    unsigned long long start_time; ///< the leader's; for a journal line, a moment just after it
    std::string name;
    bool from_journal;
};

/// The groups listed in `path` when svd can trust it: a regular file (no
/// symlink followed) of our uid that only we may write, from this boot.
std::vector<Recorded> read_records(const std::string& path, bool journal) {
    std::vector<Recorded> out;
    int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno != ENOENT) spdlog::warn("not reading {}: {}", path, std::strerror(errno));
        return out;
    }
    struct stat info {};
    bool trusted = fstat(fd, &info) == 0 && S_ISREG(info.st_mode) && info.st_uid == getuid() &&
                   (info.st_mode & 077) == 0;
    ::close(fd);
    if (!trusted) {
        spdlog::warn("not trusting {}: not a file of uid {} with mode 0600; nothing it lists is signalled", path,
                     getuid());
        return out;
    }
    std::istringstream lines(read_small_file(path));
    std::string header;
    std::getline(lines, header);
    // Another boot (or format): its pids are someone else's now.
    if (header != std::string(kHeader) + " " + boot_id()) return out;
    std::string line;
    while (std::getline(lines, line)) {
        std::istringstream fields(line);
        Recorded group{};
        group.from_journal = journal;
        if (fields >> group.pgid >> group.start_time >> group.name && group.pgid > 1) out.push_back(group);
    }
    return out;
}

bool owned_by_us(pid_t pid) {
    struct stat info {};
    return ::stat(("/proc/" + std::to_string(pid)).c_str(), &info) == 0 && info.st_uid == getuid();
}

} // namespace

int end_leftovers(const std::string& path) {
    std::vector<Recorded> groups = read_records(path, false);
    for (auto& group : read_records(journal_path(path), true)) groups.push_back(group);
    if (groups.empty()) {
        ::unlink(path.c_str());
        ::unlink(journal_path(path).c_str());
        return 0;
    }

    const std::vector<ProcessInfo> processes = read_process_table();
    const pid_t self = getpid();
    std::vector<pid_t> killed;
    std::set<pid_t> done;
    for (const Recorded& group : groups) {
        if (!done.insert(group.pgid).second) continue; // in both the file and the journal
        // A live process with the leader's pid but another start time (for
        // a journal line: a later one) means the id was reused: that group
        // is not ours.
        bool reused = false;
        for (const ProcessInfo& process : processes)
            if (process.pid == group.pgid && (group.from_journal ? process.start_time > group.start_time
                                                                 : process.start_time != group.start_time))
                reused = true;
        if (reused) continue;
        std::vector<pid_t> members;
        for (const ProcessInfo& process : processes) {
            if (process.pgrp != group.pgid || process.pid == self || process.state == 'Z') continue;
            // Started before the leader: not one of its descendants. (A
            // journal line's time is a moment after the leader started, and
            // before it exec'd: anything it forked is later still.)
            if (process.start_time + (group.from_journal ? 1 : 0) < group.start_time) continue;
            if (!owned_by_us(process.pid)) continue;
            if (::kill(process.pid, SIGKILL) == 0) members.push_back(process.pid);
        }
        if (members.empty()) continue;
        std::string pids = text::join(members, " ", [](pid_t pid) { return std::to_string(pid); });
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
    ::unlink(journal_path(path).c_str());
    return static_cast<int>(killed.size());
}

} // namespace svd::daemon
