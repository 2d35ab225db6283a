#include "plan/planner.h"

namespace svd::plan {

using process::State;
using process::has_process;

const char* to_string(Action::Kind kind) {
    switch (kind) {
    case Action::Kind::Stop: return "stop";
    case Action::Kind::StopDone: return "stop-done";
    case Action::Kind::Relaunch: return "relaunch";
    case Action::Kind::Start: return "start";
    case Action::Kind::ArmOnDemand: return "arm-on-demand";
    case Action::Kind::Wait: return "wait";
    case Action::Kind::GiveUp: return "give-up";
    case Action::Kind::Forget: return "forget";
    }
    return "?";
}

bool condition_holds(const ProgramView& target, config::Condition condition) {
    switch (condition) {
    case config::Condition::Started:
        return has_process(target.state) || target.completed;
    case config::Condition::Ready:
        return target.ready &&
               (target.state == State::Running || target.completed || target.state == State::Starting);
    case config::Condition::Healthy:
        if (!target.has_health_check) return target.ready && target.state == State::Running;
        return target.healthy.value_or(false) && target.state == State::Running;
    case config::Condition::Completed:
        return target.completed;
    }
    return false;
}

namespace {

/// An `after` edge only orders: it holds `name` back while its target is on
/// its way up (a start or restart job, or a process not ready yet), never
/// because the target is stopped, stopping for good or FATAL.
bool coming_up(const ProgramView& target) {
    if (target.job.type == JobType::Restart || target.job.type == JobType::Start) return true;
    if (target.job.stops()) return false;
    return target.state == State::Starting || target.state == State::Backoff;
}

} // namespace

Blocked blocked_by(const Graph& graph, const Views& views, const std::string& name) {
    Blocked blocked;
    for (const Edge& edge : graph.edges_from(name)) {
        auto found = views.find(edge.to);
        // A requirement about to stop (or restart) does not count even while
        // it still runs: starting against it would hold its stop up, since
        // dependents stop first.
        if (found != views.end() && !found->second.job.stops() && condition_holds(found->second, edge.condition))
            continue;
        if (edge.kind == config::DependencyKind::After && (found == views.end() || !coming_up(found->second)))
            continue;
        State state = found == views.end() ? State::Fatal : found->second.state;
        bool coming = found != views.end() && found->second.job.starts();
        // A requirement that is FATAL, or a oneshot that ran and failed, will
        // not get there by itself: the request gives up instead of waiting forever.
        if (state == State::Fatal ||
            (!coming && state == State::Exited && edge.condition == config::Condition::Completed))
            blocked.hopeless = true;
        std::string why = state == State::Fatal ? edge.to + " is FATAL"
                                                : edge.to + " (" + config::to_string(edge.condition) + ")";
        blocked.reason += (blocked.reason.empty() ? "waiting for " : ", ") + why;
    }
    return blocked;
}

namespace {

/// Something that requires `name` still has a process, or something ordered
/// after it is stopping too: `name` must wait for it to stop first. (What is
/// only ordered after `name` and keeps running does not hold its stop up.)
bool dependents_alive(const Graph& graph, const Views& views, const std::string& name) {
    for (const std::string& dependent : graph.dependents_of(name))
        if (auto found = views.find(dependent); found != views.end() && has_process(found->second.state)) return true;
    for (const std::string& successor : graph.successors_of(name))
        if (auto found = views.find(successor);
            found != views.end() && found->second.job.stops() && has_process(found->second.state))
            return true;
    return false;
}

} // namespace

std::vector<Action> next_actions(const Graph& graph, const Views& views) {
    std::vector<Action> actions;
    // Stops first, dependents before what they depend on.
    for (const auto& [name, view] : views) {
        if (!view.job.stops()) continue;
        if (!view.job.stop_sent) {
            if (!dependents_alive(graph, views, name)) actions.push_back({Action::Kind::Stop, name, {}});
            continue;
        }
        if (has_process(view.state)) continue;
        if (view.job.type == JobType::Stop) actions.push_back({Action::Kind::StopDone, name, {}});
        else if (view.job.type == JobType::Restart) actions.push_back({Action::Kind::Relaunch, name, {}});
        else actions.push_back({Action::Kind::Forget, name, {}});
    }
    // Then starts, in dependency order, each once what it requires holds.
    for (const std::string& name : graph.order()) {
        auto found = views.find(name);
        if (found == views.end() || found->second.job.type != JobType::Start) continue;
        const ProgramView& view = found->second;
        Blocked blocked = blocked_by(graph, views, name);
        if (!blocked.reason.empty()) {
            actions.push_back({blocked.hopeless ? Action::Kind::GiveUp : Action::Kind::Wait, name, blocked.reason});
            continue;
        }
        if (view.on_demand && !has_process(view.state) && !view.demand_seen)
            actions.push_back({Action::Kind::ArmOnDemand, name, {}});
        else
            actions.push_back({Action::Kind::Start, name, {}});
    }
    // Programs outside the graph (removed from the config) only ever stop.
    return actions;
}

std::optional<Outcome> verdict(const Graph& graph, const Views& views, Goal goal, const std::string& name) {
    auto found = views.find(name);
    if (found == views.end()) return Outcome{name, false, "", "no such program"};
    const ProgramView& view = found->second;
    Outcome outcome{name, false, process::to_string(view.state), view.message};
    if (goal == Goal::Down) {
        if (has_process(view.state) || view.job.stops()) return std::nullopt;
        outcome.ok = true;
        return outcome;
    }
    if (view.job.starts() || view.job.stops()) return std::nullopt;
    if (!has_process(view.state) && view.on_demand && view.armed) {
        // Started as far as it can be: the first connection does the rest.
        outcome.ok = true;
        outcome.message = "on demand: starts at the first connection";
        return outcome;
    }
    switch (view.state) {
    case State::Running:
        if (!view.ready) return std::nullopt;
        outcome.ok = true;
        return outcome;
    case State::Exited:
        outcome.ok = view.completed;
        return outcome;
    case State::Starting:
    case State::Backoff:
    case State::Stopping:
        return std::nullopt;
    case State::Waiting:
        if (!blocked_by(graph, views, name).hopeless) return std::nullopt;
        return outcome;
    default:
        return outcome;
    }
}

bool all_down(const Views& views) {
    for (const auto& [name, view] : views)
        if (has_process(view.state) || view.job.stops()) return false;
    return true;
}

} // namespace svd::plan
