#include "watch/file_watch.h"
#include "watch/glob_match.h"

#include <spdlog/spdlog.h>

namespace svd::watch {
namespace {
// Not a program name (those cannot contain spaces): the config's own owner tag.
const std::string kConfigOwner = "config file";
constexpr uint64_t kConfigDebounceMs = 250;
constexpr uint64_t kProgramDebounceMs = 300;

std::string base_name(const std::string& path) {
    auto slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}
} // namespace

FileWatch::FileWatch(uv_loop_t* loop, WatchReactions reactions) : loop_(loop), reactions_(std::move(reactions)) {}

FileWatch::~FileWatch() = default; // the timers close themselves

void FileWatch::rebuild(const config::Config& config) {
    program_globs_.clear();
    config_patterns_.clear();
    bool wanted = config.svd.watch_config;
    for (const auto& program : config.programs) wanted = wanted || !program.watch.empty();
    if (!wanted) {
        watcher_.reset(); // nothing to watch: no inotify fd at all
        return;
    }
    if (!watcher_)
        watcher_ = std::make_unique<watch::InotifyWatcher>(
            loop_, [this](const std::string& owner, const std::string& path) { changed(owner, path); });
    watcher_->clear();
    std::string warning;
    if (config.svd.watch_config) {
        config_patterns_.push_back(config.file);
        for (const auto& pattern : config.svd.include) config_patterns_.push_back(pattern);
        std::set<std::string> dirs;
        for (const auto& pattern : config_patterns_) dirs.insert(watch::glob_root(pattern));
        for (const auto& dir : dirs)
            if (!watcher_->watch(kConfigOwner, dir, false, warning)) spdlog::warn("watch_config: {}", warning);
    }
    for (const auto& program : config.programs) {
        if (program.watch.empty()) continue;
        program_globs_[program.name] = program.watch;
        std::set<std::string> roots;
        for (const auto& pattern : program.watch) roots.insert(watch::glob_root(pattern));
        for (const auto& root : roots)
            if (!watcher_->watch(program.name, root, true, warning)) spdlog::warn("{}: watch: {}", program.name, warning);
    }
}

void FileWatch::changed(const std::string& owner, const std::string& path) {
    if (watch::is_editor_temp_file(base_name(path))) return;
    if (owner == kConfigOwner) {
        for (const auto& pattern : config_patterns_)
            if (pattern == path || watch::glob_match(pattern, path)) {
                debounce(owner, kConfigDebounceMs);
                return;
            }
        return;
    }
    auto globs = program_globs_.find(owner);
    if (globs == program_globs_.end()) return;
    for (const auto& pattern : globs->second)
        if (watch::glob_match(pattern, path) || pattern == path) {
            last_change_[owner] = path;
            debounce(owner, kProgramDebounceMs);
            return;
        }
}

void FileWatch::debounce(const std::string& owner, uint64_t delay_ms) {
    loop::Timer& timer = timers_[owner];
    if (!timer) uv_timer_init(loop_, timer.make());
    // Each event pushes the action back: one action per burst.
    timer->data = this;
    uv_timer_start(
        timer.get(),
        [](uv_timer_t* handle) {
            auto* self = static_cast<FileWatch*>(handle->data);
            if (!self) return;
            for (const auto& [owner, timer] : self->timers_)
                if (timer.get() == handle) {
                    std::string name = owner; // fire() may rebuild the map
                    self->fire(name);
                    return;
                }
        },
        delay_ms, 0);
}

void FileWatch::fire(const std::string& owner) {
    if (owner == kConfigOwner) {
        spdlog::info("watch_config: the config changed on disk; updating");
        reactions_.config_changed();
        return;
    }
    reactions_.program_files_changed(owner, last_change_[owner]);
}

} // namespace svd::watch
