#include "daemon/tree_watch.h"

#include "daemon/tree.h"

#include <cerrno>
#include <cstring>
#include <spdlog/spdlog.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

namespace svd::daemon {

namespace {
constexpr uint64_t kQuietMs = 1000;
constexpr uint32_t kChanges = IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF | IN_MOVED_FROM;
} // namespace

TreeWatch::TreeWatch(uv_loop_t* loop, const config::Config& config, Callbacks callbacks)
    : loop_(loop), home_(config.svd.home), run_dir_(config.svd.run_dir), log_dir_(config.svd.log_dir),
      socket_(config.svd.socket), callbacks_(std::move(callbacks)) {}

TreeWatch::~TreeWatch() {
    poll_.reset();
    quiet_.reset();
    if (inotify_fd_ >= 0) close(inotify_fd_);
}

bool TreeWatch::start(std::string& error) {
    struct stat info {};
    if (stat(home_.c_str(), &info) != 0) {
        error = "cannot watch " + home_ + ": " + std::strerror(errno);
        return false;
    }
    home_device_ = info.st_dev;
    home_inode_ = info.st_ino;
    inotify_fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (inotify_fd_ < 0) {
        error = std::string("inotify: ") + std::strerror(errno);
        return false;
    }
    add_watches();
    uv_poll_init(loop_, poll_.make(), inotify_fd_);
    poll_->data = this;
    uv_poll_start(poll_.get(), UV_READABLE, [](uv_poll_t* poll, int, int) {
        if (auto* self = static_cast<TreeWatch*>(poll->data)) self->on_events();
    });
    uv_timer_init(loop_, quiet_.make());
    quiet_->data = this;
    return true;
}

void TreeWatch::add_watches() {
    // Adding a watch that exists returns the same descriptor: cheap to repeat.
    for (const std::string* dir : {&home_, &run_dir_, &log_dir_})
        inotify_add_watch(inotify_fd_, dir->c_str(), kChanges | IN_ONLYDIR);
}

void TreeWatch::on_events() {
    alignas(inotify_event) char buffer[16384];
    while (read(inotify_fd_, buffer, sizeof buffer) > 0) {
    }
    if (done_) return;
    // Every change restarts the quiet period: an rm -rf still running is not raced.
    uv_timer_start(
        quiet_.get(),
        [](uv_timer_t* timer) {
            if (auto* self = static_cast<TreeWatch*>(timer->data)) self->check();
        },
        kQuietMs, 0);
}

void TreeWatch::check() {
    struct stat info {};
    if (stat(home_.c_str(), &info) != 0 || info.st_dev != home_device_ || info.st_ino != home_inode_) {
        done_ = true;
        std::string why = "home " + home_ + " was removed or replaced";
        // svd.log went with it: say it where it can still be read, too.
        syslog(LOG_WARNING, "svd[%d]: %s: stopping every program and exiting", getpid(), why.c_str());
        spdlog::error("{}: stopping every program and exiting", why);
        if (callbacks_.home_gone) callbacks_.home_gone(why);
        return;
    }
    struct stat socket_info {};
    bool run_dir_missing = stat(run_dir_.c_str(), &info) != 0;
    if (run_dir_missing) {
        std::string error;
        if (!make_directories(run_dir_, 0700, error)) {
            spdlog::error("run_dir {} was deleted and cannot be re-created: {}", run_dir_, error);
            return;
        }
        spdlog::warn("run_dir {} was deleted; re-created it", run_dir_);
    }
    if (stat(log_dir_.c_str(), &info) != 0) {
        std::string error;
        if (make_directories(log_dir_, 0750, error)) spdlog::warn("log_dir {} was deleted; re-created it", log_dir_);
    }
    if (lstat(socket_.c_str(), &socket_info) != 0 || !S_ISSOCK(socket_info.st_mode)) {
        spdlog::warn("control socket {} was deleted; binding it again", socket_);
        if (callbacks_.socket_gone) callbacks_.socket_gone();
    }
    add_watches();
}

} // namespace svd::daemon
