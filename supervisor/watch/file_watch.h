// What svd does when files change: with [svd] watch_config, an edit of
// svd.toml or a drop-in runs `update` by itself; a program's `watch` globs
// restart it when a matching file changes (development mode). Bursts of
// events (an editor's write-then-rename save) are debounced into one action.
#pragma once

#include "config/model.h"
#include "loop/handle.h"
#include "watch/inotify_watcher.h"

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <uv.h>

namespace svd::watch {

/// What the watches set off, carried out by the runtime.
struct WatchReactions {
    /// svd.toml or a drop-in changed (watch_config): run `update`.
    std::function<void()> config_changed;
    /// A file matching program `name`'s watch globs changed: restart it if it runs.
    std::function<void(const std::string& name, const std::string& what)> program_files_changed;
};

class FileWatch {
public:
    FileWatch(uv_loop_t* loop, WatchReactions reactions);
    ~FileWatch();
    /// Watches what `config` asks for, replacing earlier watches.
    void rebuild(const config::Config& config);

private:
    void changed(const std::string& owner, const std::string& path);
    void debounce(const std::string& owner, uint64_t delay_ms);
    void fire(const std::string& owner);

    uv_loop_t* loop_;
    WatchReactions reactions_;
    std::unique_ptr<watch::InotifyWatcher> watcher_;
    std::map<std::string, loop::Timer> timers_; ///< one debounce timer per owner
    std::map<std::string, std::vector<std::string>> program_globs_;
    std::vector<std::string> config_patterns_; ///< the main file and include globs
    std::map<std::string, std::string> last_change_;
};

} // namespace svd::watch
