// runtime/: the Supervisor owns every program's slot (state machine,
// output, timer, job), spawns and reaps them, and carries out what the
// planner (plan/) decides, so that dependencies are honoured both ways
// (start in order, stop in reverse). Everything runs on one libuv loop;
// nothing here blocks except fork/exec itself.
#pragma once

#include "config/model.h"
#include "config/config_diff.h"
#include "loop/handle.h"
#include "plan/graph.h"
#include "plan/planner.h"
#include "probes/probe_host.h"
#include "process/program.h"
#include "runtime/slot.h"

#include <functional>
#include <nlohmann/json.hpp>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <uv.h>
#include <vector>

namespace svd::daemon {
class StateFile;
}
namespace svd::probes {
class Probes;
}
namespace svd::sockets {
class Sockets;
}
namespace svd::watch {
class FileWatch;
}

namespace svd::runtime {
class Remnants;

using config::ConfigDiff;
using daemon::StateFile;
using probes::Probes;
using sockets::Sockets;
using watch::FileWatch;

/// What `svctl reread`/`update` (or watch_config) found and did.
struct UpdateOutcome {
    bool ok = false;
    std::string error;                       ///< why nothing was applied
    std::vector<config::ConfigError> errors; ///< config errors on disk
    ConfigDiff diff;
    std::vector<std::string> affected;       ///< started or restarted by the update
};

using plan::Goal;
using plan::Outcome;

class Supervisor final : public process::ProgramHost, public probes::ProbeHost {
public:
    Supervisor(uv_loop_t* loop, config::Config config);
    ~Supervisor() override;

    /// Binds sockets and opens outputs. False with `error` on failure.
    [[nodiscard]] bool prepare(std::string& error);
    /// Starts every program with start = "boot", in dependency order, but
    /// those in `adopted` (already running when svd re-executed).
    void start_boot_programs(const std::set<std::string>& adopted = {});

    // svctl reload (see daemon/handover.h).
    nlohmann::json export_state() const;
    /// Before prepare(): use the handed-over sockets and pipes instead of new ones.
    void adopt_fds(const nlohmann::json& state);
    /// After prepare(): take over the programs' states and pids. Returns their names.
    std::set<std::string> adopt_programs(const nlohmann::json& state);

    /// Names known to svd, in config order.
    std::vector<std::string> names() const override;
    process::Program* find(const std::string& name) override;
    logs::ProgramOutput* output(const std::string& name) override;
    const config::Config& config() const { return config_; }
    Sockets& sockets() { return *sockets_; }
    Probes& probes() { return *probes_; }

    /// Asks for programs to run, with what they require first. Returns
    /// immediately; `done` runs when each has reached a verdict.
    void start(const std::vector<std::string>& names, std::function<void(std::vector<Outcome>)> done);
    /// Stops programs, dependents first. `also` receives the dependents that
    /// were stopped because of them.
    void stop(const std::vector<std::string>& names, std::function<void(std::vector<Outcome>)> done,
              std::vector<std::string>* also = nullptr);
    void restart(const std::vector<std::string>& names, std::function<void(std::vector<Outcome>)> done);
    /// Runs `done` once every program in `names` is up (or has failed), like start's reply.
    void wait_for(const std::vector<std::string>& names, std::function<void(std::vector<Outcome>)> done);
    /// Stops everything in reverse dependency order, then runs `done`.
    void shutdown(std::function<void()> done);
    bool shutting_down() const { return shutting_down_; }
    /// Out of patience (a second SIGTERM): SIGKILL to every program's tree
    /// and to whatever is still being ended, now.
    void kill_all_now();

    /// Who requires whom in the running config.
    const plan::Graph& graph() const { return graph_; }

    void reopen_logs();

    /// Reads the config from disk again (same file, same profile). Errors are
    /// remembered for `svctl status` until a later read succeeds.
    config::LoadResult read_config_again();
    /// Applies `next` (already validated): starts added programs, restarts
    /// those whose spawn-relevant keys changed, applies policy changes in
    /// place, stops and forgets removed ones, re-binds changed sockets and
    /// leaves everything else alone. With `only` non-empty, just those
    /// programs change. False with `error` (and nothing changed) when a new
    /// socket cannot be bound. `affected` receives the programs started or restarted.
    [[nodiscard]] bool apply_config(config::Config next, const ConfigDiff& diff, const std::vector<std::string>& only,
                      std::string& error, std::vector<std::string>& affected);
    /// Reads the config on disk, diffs it against the running one and, with
    /// `apply`, applies it (only to `only` when not empty). A config with
    /// errors changes nothing; the errors are kept for `svctl status`.
    UpdateOutcome update_from_disk(const std::vector<std::string>& only, bool apply);
    const std::vector<config::ConfigError>& config_errors() const { return config_errors_; }
    void set_config_errors(std::vector<config::ConfigError> errors) { config_errors_ = std::move(errors); }
    void set_profile(std::string profile) { profile_ = std::move(profile); }
    const std::string& profile() const { return profile_; }
    /// Seconds since svd started.
    double uptime_s() const;

    /// Where program process groups are recorded (see state_file.h); may be null.
    void set_state_file(StateFile* state_file) { state_file_ = state_file; }

    /// SIGCHLD arrived: reap everything that exited.
    void reap_children();
    /// Something happened that may let the plan move on (an exit, a probe,
    /// a timer, a request): the plan is asked again once the loop is free,
    /// outside any state transition. Cheap to call many times.
    void request_settle() override;

private:
    // process::ProgramHost
    spawn::SpawnResult launch(process::Program& program) override;
    void signal_group(pid_t pgid, int signal) override;
    void set_timer(process::Program& program, process::Millis delay) override;
    void cancel_timer(process::Program& program) override;
    process::Clock::time_point now() override;
    void changed(process::Program& program, process::State from) override;
    void probes_begin(process::Program& program) override;
    void probes_end(process::Program& program) override;

    struct Waiter {
        Goal goal;
        std::vector<std::string> names;
        std::function<void(std::vector<Outcome>)> done;
        /// Names whose request plan::merge refused, with why: their verdict is that.
        std::map<std::string, std::string> refused;
    };

    Slot* slot_of(const process::Program& program);
    Slot& add_slot(const config::Program& spec);
    /// Merges `request` into the job of `name`. False (logged, and the reason
    /// in `refused` when given) when refused.
    bool ask(const std::string& name, plan::Request request, std::map<std::string, std::string>* refused = nullptr);
    /// A file matching `name`'s watch globs changed: restart it if it runs.
    void restart_for_watch(const std::string& name, const std::string& what);
    /// Restarts the active followers of `name` with it.
    void make_followers_follow(const std::string& name);
    /// Asks the planner until only waiting is left, carries out what it
    /// says, then answers the requests that reached a verdict.
    void settle();
    void carry_out(const plan::Action& action);
    plan::Views views() const;
    /// Shutting down, every program down: ends the orphans programs left
    /// (once), and is true once nothing of any program's tree is left.
    bool remnants_ended();
    /// What the rest of `program`'s tree gets once its main process exited:
    /// the stop_timeout, or what is left of it when svd was stopping it.
    process::Millis time_left_to_stop(const process::Program& program) const;
    std::vector<std::string> build_environment(const process::Program& program) const;

    uv_loop_t* loop_;
    config::Config config_;
    plan::Graph graph_;
    std::map<std::string, Slot> slots_;
    std::map<pid_t, process::Program*> by_pid_;
    std::vector<config::ConfigError> config_errors_;
    std::string profile_;
    std::vector<Waiter> waiters_;
    std::vector<std::string> base_environment_;
    std::unique_ptr<Probes> probes_;
    std::unique_ptr<Sockets> sockets_;
    std::unique_ptr<FileWatch> file_watch_;
    std::unique_ptr<Remnants> remnants_; ///< trees of programs ended outside a slot
    StateFile* state_file_ = nullptr;
    loop::Handle<uv_idle_t> settle_soon_; ///< active only while a settle is asked for
    bool shutting_down_ = false;
    bool settling_ = false;
    bool orphans_ended_ = false;
    std::function<void()> shutdown_done_;
    process::Clock::time_point born_;
};

} // namespace svd::runtime
