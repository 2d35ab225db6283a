#include "watch/inotify_watcher.h"

#include <cerrno>
#include <climits>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <sys/inotify.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

namespace svd::watch {
namespace {

constexpr uint32_t kMask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_ATTRIB |
                           IN_DELETE_SELF | IN_ONLYDIR;

bool skipped_directory(const std::string& name) {
    // Version control and caches change constantly and never hold sources to watch.
    return name == ".git" || name == ".hg" || name == ".svn" || name == "__pycache__" || name == "node_modules";
}

std::string limit_warning() {
    std::ifstream limit("/proc/sys/fs/inotify/max_user_watches");
    std::string value = "?";
    limit >> value;
    return "inotify watch limit reached (fs.inotify.max_user_watches = " + value +
           "); some files are not watched. Raise it with `sysctl fs.inotify.max_user_watches=524288` "
           "(as root) or watch fewer directories";
}

} // namespace

InotifyWatcher::InotifyWatcher(uv_loop_t* loop, Callback callback) : loop_(loop), callback_(std::move(callback)) {}

InotifyWatcher::~InotifyWatcher() {
    clear();
    poll_.reset(); // before its fd goes
    if (fd_ >= 0) close(fd_);
}

bool InotifyWatcher::ensure_open(std::string& warning) {
    if (fd_ >= 0) return true;
    fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd_ < 0) {
        warning = std::string("inotify unavailable: ") + std::strerror(errno);
        return false;
    }
    uv_poll_init(loop_, poll_.make(), fd_);
    poll_->data = this;
    uv_poll_start(poll_.get(), UV_READABLE, [](uv_poll_t* poll, int, int) {
        if (auto* self = static_cast<InotifyWatcher*>(poll->data)) self->on_readable();
    });
    return true;
}

void InotifyWatcher::clear() {
    for (auto& [wd, dir] : dirs_) inotify_rm_watch(fd_, wd);
    dirs_.clear();
}

bool InotifyWatcher::watch(const std::string& owner, const std::string& dir, bool recursive, std::string& warning) {
    if (!ensure_open(warning)) return false;
    return add(owner, dir, recursive, warning);
}

bool InotifyWatcher::add(const std::string& owner, const std::string& dir, bool recursive, std::string& warning) {
    int wd = inotify_add_watch(fd_, dir.c_str(), kMask);
    if (wd < 0) {
        warning = errno == ENOSPC ? limit_warning() : "cannot watch " + dir + ": " + std::strerror(errno);
        return false;
    }
    Dir& entry = dirs_[wd];
    entry.path = dir;
    entry.owners.insert(owner);
    if (!recursive) return true;
    entry.recursive_owners.insert(owner);
    bool ok = true;
    if (DIR* listing = opendir(dir.c_str())) {
        while (dirent* child = readdir(listing)) {
            std::string name = child->d_name;
            if (name == "." || name == ".." || skipped_directory(name)) continue;
            if (child->d_type != DT_DIR && child->d_type != DT_UNKNOWN) continue;
            std::string path = dir + "/" + name;
            if (child->d_type == DT_UNKNOWN) {
                DIR* probe = opendir(path.c_str());
                if (!probe) continue;
                closedir(probe);
            }
            std::string child_warning;
            if (!add(owner, path, true, child_warning)) {
                ok = false;
                warning = child_warning;
            }
        }
        closedir(listing);
    }
    return ok;
}

void InotifyWatcher::on_readable() {
    alignas(inotify_event) char buffer[64 * 1024];
    for (;;) {
        ssize_t n = read(fd_, buffer, sizeof buffer);
        if (n <= 0) return;
        for (char* at = buffer; at < buffer + n;) {
            auto* event = reinterpret_cast<inotify_event*>(at);
            at += sizeof(inotify_event) + event->len;
            auto found = dirs_.find(event->wd);
            if (found == dirs_.end()) continue;
            if (event->mask & (IN_IGNORED | IN_DELETE_SELF)) {
                if (event->mask & IN_IGNORED) dirs_.erase(found);
                continue;
            }
            Dir dir = found->second; // copy: the callback may change the watches
            std::string name = event->len ? std::string(event->name) : std::string();
            std::string path = name.empty() ? dir.path : dir.path + "/" + name;
            if ((event->mask & IN_ISDIR) && (event->mask & (IN_CREATE | IN_MOVED_TO)) && !skipped_directory(name)) {
                // A new subdirectory: watch it too, and report what it already holds.
                for (const auto& owner : dir.recursive_owners) {
                    std::string warning;
                    if (!add(owner, path, true, warning)) spdlog::warn("watch {}: {}", owner, warning);
                }
            }
            for (const auto& owner : dir.owners) callback_(owner, path);
        }
    }
}

} // namespace svd::watch
