// The install tree svd runs in: the directories it needs, and a lock so
// that two svd never supervise the same tree. The lock lives in home, not
// in run_dir: run_dir may be deleted under a running svd (logind removes
// $XDG_RUNTIME_DIR at logout) or moved by a valid edit of the config, and
// either would have let a second svd start on the same programs.
#pragma once

#include "config/model.h"

#include <string>
#include <sys/types.h>

namespace svd::daemon {

/// Creates home, log_dir and run_dir (run_dir 0700) when missing.
[[nodiscard]] bool prepare_tree(const config::Config& config, std::string& error);

/// mkdir -p with `mode` for the directories it creates.
[[nodiscard]] bool make_directories(const std::string& path, unsigned mode, std::string& error);

/// Where the tree's lock lives: home/.svd.lock.
std::string lock_path(const config::Config& config);

/// The pid of the svd holding the lock at `path`; 0 when nobody holds it
/// (or it cannot be read).
pid_t lock_holder(const std::string& path);

class TreeLock {
public:
    ~TreeLock();
    /// Takes an exclusive flock on `path` and writes our pid into it.
    /// Fails, naming the running svd's pid, when another holds it.
    [[nodiscard]] bool acquire(const std::string& path, std::string& error);
    /// Takes over a lock held by the svd we were exec'd from (svctl reload).
    void adopt(int fd, const std::string& path) {
        fd_ = fd;
        path_ = path;
    }
    int fd() const { return fd_; }

private:
    int fd_ = -1;
    std::string path_;
};

} // namespace svd::daemon
