// Watches the install tree under a running svd (inotify on home, run_dir
// and log_dir):
//   - run_dir or the control socket deleted (logind removes
//     $XDG_RUNTIME_DIR at logout; a stray rm): run_dir is re-created and
//     the control socket bound again, and the log says so;
//   - home deleted or moved away (`rm -rf` of a per-user install): svd
//     stops every program in reverse dependency order and exits, saying
//     why, instead of leaving them running as orphans nobody can reach.
// It acts once the tree has been quiet for a second, so that an `rm -rf`
// still running is never raced by a re-created run_dir.
#pragma once

#include "config/model.h"
#include "loop/handle.h"

#include <functional>
#include <string>
#include <sys/types.h>
#include <uv.h>

namespace svd::daemon {

class TreeWatch {
public:
    struct Callbacks {
        std::function<void(const std::string& why)> home_gone;
        /// The control socket must be bound again (run_dir exists again).
        std::function<void()> socket_gone;
    };
    TreeWatch(uv_loop_t* loop, const config::Config& config, Callbacks callbacks);
    ~TreeWatch();
    TreeWatch(const TreeWatch&) = delete;
    TreeWatch& operator=(const TreeWatch&) = delete;

    /// Starts watching. False with `error` when inotify is unavailable
    /// (svd runs on without it).
    [[nodiscard]] bool start(std::string& error);

private:
    void on_events();
    void check();
    void add_watches();

    uv_loop_t* loop_;
    std::string home_, run_dir_, log_dir_, socket_;
    dev_t home_device_ = 0;
    ino_t home_inode_ = 0;
    Callbacks callbacks_;
    int inotify_fd_ = -1;
    loop::Poll poll_;
    loop::Timer quiet_;
    bool done_ = false;
};

} // namespace svd::daemon
