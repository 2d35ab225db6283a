// One inotify instance on the libuv loop (a poll handle on its fd: no
// thread, no timer while nothing changes). Watches directories for owners
// (the config, or a program); a recursive watch follows new subdirectories.
// Events reach the owner as the full path of what changed.
#pragma once

#include "loop/handle.h"

#include <functional>
#include <map>
#include <set>
#include <string>
#include <uv.h>

namespace svd::watch {

class InotifyWatcher {
public:
    using Callback = std::function<void(const std::string& owner, const std::string& path)>;

    InotifyWatcher(uv_loop_t* loop, Callback callback);
    ~InotifyWatcher();

    /// Watches `dir` (and, with `recursive`, every directory below it, now
    /// and later) for `owner`. Returns false with `warning` set when the
    /// directory cannot be watched or the inotify limit is reached.
    [[nodiscard]] bool watch(const std::string& owner, const std::string& dir, bool recursive, std::string& warning);
    /// Stops watching everything for every owner.
    void clear();
    std::size_t watch_count() const { return dirs_.size(); }

private:
    struct Dir {
        std::string path;
        std::set<std::string> owners;
        std::set<std::string> recursive_owners;
    };
    [[nodiscard]] bool add(const std::string& owner, const std::string& dir, bool recursive, std::string& warning);
    void on_readable();
    [[nodiscard]] bool ensure_open(std::string& warning);

    uv_loop_t* loop_;
    Callback callback_;
    int fd_ = -1;
    loop::Poll poll_;
    std::map<int, Dir> dirs_;
};

} // namespace svd::watch
