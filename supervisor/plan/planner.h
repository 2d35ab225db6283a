// plan/: the planner. Given the graph, what each program is doing now and
// the job it has, it says what to do next: which stops to send, which
// programs may start, which must wait and why. Pure: no libuv, no I/O, no
// clock; the runtime carries the actions out and asks again until only
// waiting is left. Unit-tested with made-up views (tests/unit/plan/).
#pragma once

#include "plan/graph.h"
#include "plan/job.h"
#include "process/state.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace svd::plan {

/// What the planner needs to know of one program.
struct ProgramView {
    process::State state = process::State::Stopped;
    bool ready = false;
    std::optional<bool> healthy;
    bool has_health_check = false;
    bool completed = false;
    std::string message;
    Job job;
    bool on_demand = false;
    bool demand_seen = false; ///< its socket had a connection: it starts now
    bool armed = false;       ///< its socket waits for the first connection
};
using Views = std::map<std::string, ProgramView>;

struct Action {
    enum class Kind {
        Stop,        ///< send the stop (the job keeps waiting for the exit)
        StopDone,    ///< a Stop job whose process is gone: clear it
        Relaunch,    ///< a Restart whose stop is done: count it; the job becomes Start
        Start,       ///< what it requires holds: start it; the job is done
        ArmOnDemand, ///< an on-demand program: wait for the first connection; the job is done
        Wait,        ///< held back by `reason`; the job stays
        GiveUp,      ///< held back for good (`reason`: a requirement is FATAL); the job is dropped
        Forget,      ///< removed from the config and gone: drop it
    };
    Kind kind;
    std::string name;
    std::string reason;
    friend bool operator==(const Action&, const Action&) = default;
};
const char* to_string(Action::Kind kind);

/// The actions that follow from `views`. Only Wait leaves the views as they
/// were; every other action changes a job, so asking again after carrying
/// them out ends with nothing but Wait.
std::vector<Action> next_actions(const Graph& graph, const Views& views);

/// Whether `condition` on `target` holds for a program that requires it.
bool condition_holds(const ProgramView& target, config::Condition condition);

struct Blocked {
    std::string reason; ///< "waiting for postgres (ready), pgdata-init is FATAL"; empty: nothing blocks
    bool hopeless = false; ///< a requirement can no longer be met
};
/// What keeps `name` from starting now.
Blocked blocked_by(const Graph& graph, const Views& views, const std::string& name);

/// A request's verdict for one program, once it has one.
enum class Goal { Up, Down };
struct Outcome {
    std::string name;
    bool ok = false;
    std::string state;
    std::string message;
};
std::optional<Outcome> verdict(const Graph& graph, const Views& views, Goal goal, const std::string& name);

/// True when no job is left that stops something and no process is alive:
/// a shutdown is complete.
bool all_down(const Views& views);

} // namespace svd::plan
