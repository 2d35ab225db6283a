// Supervisor: applying a changed config to running programs (svctl update,
// watch_config). Kept apart from the supervision loop it feeds.
#include "watch/file_watch.h"
#include "probes/probes.h"
#include "sockets/sockets.h"
#include "runtime/supervisor.h"
#include "text/join.h"

#include <algorithm>
#include <spdlog/spdlog.h>

namespace svd::runtime {

using process::State;

config::LoadResult Supervisor::read_config_again() {
    config::LoadResult loaded = config::load_config(config_.file, profile_);
    config_errors_ = loaded.errors;
    return loaded;
}

namespace {

bool selected(const std::vector<std::string>& only, const std::string& name) {
    return only.empty() || std::find(only.begin(), only.end(), name) != only.end();
}

/// `next`, except that programs outside `only` keep their running definition.
config::Config merge_selected(const config::Config& current, config::Config next, const std::vector<std::string>& only) {
    if (only.empty()) return next;
    std::vector<config::Program> programs;
    for (const auto& program : next.programs) {
        if (selected(only, program.name)) programs.push_back(program);
        else if (const config::Program* old = current.find_program(program.name)) programs.push_back(*old);
    }
    for (const auto& program : current.programs)
        if (!next.find_program(program.name) && !selected(only, program.name)) programs.push_back(program);
    next.programs = std::move(programs);
    return next;
}

} // namespace

bool Supervisor::apply_config(config::Config next, const ConfigDiff& diff, const std::vector<std::string>& only,
                              std::string& error, std::vector<std::string>& affected) {
    next = merge_selected(config_, std::move(next), only);
    // Sockets first: if a new address cannot be bound, nothing changes at all.
    if (!sockets_->apply(next, diff, error)) return false;
    config::Config previous = std::move(config_);
    config_ = std::move(next);
    graph_ = plan::Graph(config_);
    sockets_->set_config(config_);

    for (const auto& name : diff.removed) {
        if (!selected(only, name)) continue;
        spdlog::info("{}: removed from the config; stopping and forgetting it", name);
        ask(name, plan::Request::Remove);
    }
    for (const auto& name : diff.added) {
        if (!selected(only, name)) continue;
        const config::Program* spec = config_.find_program(name);
        if (auto old = slots_.find(name); old != slots_.end()) {
            // Added back while its removal is still stopping it: it stays,
            // with the new definition, and starts again once the stop is done.
            old->second.program->set_spec(*spec);
            old->second.job.type = old->second.job.stop_sent ? plan::JobType::Stop : plan::JobType::None;
        } else {
            Slot& slot = add_slot(*spec);
            if (!slot.output->open()) spdlog::warn("{}: {}", name, slot.output->error());
        }
        spdlog::info("{}: added to the config", name);
        if (spec->start != config::StartMode::Manual && ask(name, plan::Request::Start)) affected.push_back(name);
    }
    for (const auto& change : diff.changed) {
        if (!selected(only, change.name)) continue;
        auto found = slots_.find(change.name);
        if (found == slots_.end()) continue;
        const config::Program* spec = config_.find_program(change.name);
        process::Program& program = *found->second.program;
        program.set_spec(*spec);
        bool log_changed = std::any_of(change.keys.begin(), change.keys.end(),
                                       [](const std::string& key) { return key.rfind("log.", 0) == 0; });
        if (log_changed) found->second.output->reconfigure(spec->log);
        std::string keys = text::join(change.keys, ", ");
        bool active = process::has_process(program.state()) || program.state() == State::Backoff ||
                      program.state() == State::Waiting;
        if (change.needs_restart && active) {
            if (ask(change.name, plan::Request::Restart)) {
                spdlog::info("{}: changed ({}); restarting", change.name, keys);
                make_followers_follow(change.name);
                affected.push_back(change.name);
            }
        } else {
            spdlog::info("{}: changed ({}); applied in place", change.name, keys);
        }
    }
    if (!diff.daemon_keys.empty()) {
        std::string keys = text::join(diff.daemon_keys, ", ");
        spdlog::warn("[svd] {} changed: takes effect when svd itself restarts", keys);
    }
    config_errors_.clear();
    file_watch_->rebuild(config_);
    request_settle();
    return true;
}

UpdateOutcome Supervisor::update_from_disk(const std::vector<std::string>& only, bool apply) {
    UpdateOutcome outcome;
    config::LoadResult loaded = read_config_again();
    if (!loaded.config) {
        outcome.errors = loaded.errors;
        outcome.error = "the config on disk has " + std::to_string(loaded.errors.size()) + " error" +
                        (loaded.errors.size() == 1 ? "" : "s") + "; nothing was changed, the running config stays";
        for (const auto& error : loaded.errors) spdlog::error("{}", error.str());
        spdlog::error("{}", outcome.error);
        return outcome;
    }
    outcome.diff = diff_configs(config_, *loaded.config);
    if (!apply || outcome.diff.empty()) {
        outcome.ok = true;
        if (apply) spdlog::info("update: the config on disk has no changes");
        return outcome;
    }
    for (const auto& name : only)
        if (!find(name) && !loaded.config->find_program(name)) {
            outcome.error = "no such program '" + name + "' in the running or the new config";
            return outcome;
        }
    if (!apply_config(std::move(*loaded.config), outcome.diff, only, outcome.error, outcome.affected)) {
        outcome.error += "; nothing was changed";
        spdlog::error("update: {}", outcome.error);
        return outcome;
    }
    outcome.ok = true;
    return outcome;
}

void Supervisor::restart_for_watch(const std::string& name, const std::string& what) {
    process::Program* program = find(name);
    if (!program) return;
    State state = program->state();
    // A FATAL or BACKOFF program is most often one whose fix was just saved:
    // start it again with a fresh backoff count (Program::start resets it).
    if (!process::has_process(state) && state != State::Backoff && state != State::Fatal) return;
    spdlog::info("{}: {} changed; restarting (watch)", name, what);
    if (auto found = slots_.find(name); found != slots_.end()) found->second.start_note = "restarted by watch: " + what;
    restart({name}, nullptr);
}

} // namespace svd::runtime
