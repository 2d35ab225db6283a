// One supervised program: its state machine and nothing else. The outside
// world (fork/exec, signals, the clock, timers) is reached only through
// ProgramHost, so the whole machine is unit-tested with a fake host.
//
// Transitions (event → action):
//   start        STOPPED|EXITED|FATAL|BACKOFF|WAITING → spawn → STARTING (FATAL if exec fails)
//   grace/ready  STARTING → RUNNING (ready); failures reset
//   exit         STARTING → BACKOFF (or FATAL after backoff.retries failed starts)
//   exit         RUNNING → restart per policy (BACKOFF with a growing delay) or EXITED
//   stop         STARTING|RUNNING → STOPPING → signal group, SIGKILL after stop_timeout
//   exit         STOPPING → STOPPED (or the restart/backoff that asked for the stop)
//   timeout      readiness not reached in time → stop, then counted as a failed start
#pragma once

#include "config/model.h"
#include "process/state.h"
#include "spawn/spawn.h"

#include <chrono>
#include <deque>
#include <optional>
#include <string>

namespace svd::process {

using Clock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;

/// The shortest wait before any restart (documented in svd.toml(5)): the
/// floor under backoff, so no setting makes svd spin on a crashing program.
inline constexpr Millis kMinRestartDelay{100};

class Program;

/// What a Program needs from the world. One timer per program is enough:
/// the states that wait (STARTING, BACKOFF, STOPPING) never overlap.
class ProgramHost {
public:
    virtual ~ProgramHost() = default;
    virtual spawn::SpawnResult launch(Program& program) = 0;
    virtual void signal_group(pid_t pgid, int signal) = 0;
    virtual void set_timer(Program& program, Millis delay) = 0;
    virtual void cancel_timer(Program& program) = 0;
    virtual Clock::time_point now() = 0;
    /// Called after every transition, and when `ready` or `healthy` change.
    virtual void changed(Program& program, State from) = 0;
    /// Readiness/health probes for this program begin (spawned) or end (gone).
    virtual void probes_begin(Program&) {}
    virtual void probes_end(Program&) {}
};

class Program {
public:
    Program(config::Program spec, ProgramHost& host);

    const config::Program& spec() const { return spec_; }
    const std::string& name() const { return spec_.name; }
    /// Replaces the spec; takes effect at the next start.
    void set_spec(config::Program spec) { spec_ = std::move(spec); }

    State state() const { return state_; }
    pid_t pid() const { return pid_; }
    bool ready() const { return ready_; }
    std::optional<bool> healthy() const { return healthy_; }
    bool completed() const { return completed_; }
    /// Why the program is in its state, for `svctl status` ("exit status 1", "waiting for postgres").
    const std::string& message() const { return message_; }
    std::optional<int> last_wait_status() const { return last_wait_status_; }
    /// Why the last readiness or health attempt failed ("connect: connection
    /// refused"); empty once one succeeds, and at each spawn.
    const std::string& probe_error() const { return probe_error_; }
    /// A probe attempt failed with `error`, or succeeded (empty).
    void set_probe_error(std::string error) { probe_error_ = std::move(error); }
    int restarts() const { return restarts_; }
    /// A restart arranged from outside (svctl restart, a dependency restarting).
    void count_restart() { ++restarts_; }
    int failed_starts() const { return failed_starts_; }
    Clock::time_point state_since() const { return state_since_; }
    Clock::time_point started_at() const { return started_at_; }

    /// Starts the program now, whatever held it back; `why`, when given, is
    /// its message until it exits ("restarted by watch: src/app.py"). False
    /// with message() when it cannot.
    bool start(std::string why = {});
    /// Held back by a dependency; `reason` says which.
    void wait(const std::string& reason);
    /// Stops the program (and cancels any pending restart).
    void stop();

    /// What a Program was in the svd we were exec'd from (svctl reload).
    struct Adopted {
        State state = State::Stopped;
        pid_t pid = 0;
        std::string message;
        bool ready = false;
        bool completed = false;
        std::optional<int> last_wait_status;
        int restarts = 0;
        int failed_starts = 0;
        Clock::time_point started_at{};
        Clock::time_point state_since{};
    };
    /// Takes over that state without touching the process; re-arms the
    /// timer the state needs (grace, readiness, stop or backoff).
    void adopt(const Adopted& adopted);
    Adopted snapshot() const;

    /// The process with our pid was reaped.
    void on_exit(int wait_status);
    /// The program's timer fired.
    void on_timer();
    /// A readiness probe (or sd_notify READY=1) succeeded.
    void on_ready();
    /// A health check changed its verdict.
    void on_health(bool healthy);

private:
    enum class AfterStop { Stay, Backoff, Restart };

    void enter(State state, std::string message = {});
    void spawn_now();
    void begin_stop(AfterStop after, std::string why = {});
    void failed_start(const std::string& why);
    void exited_while_running(int wait_status);
    bool exit_is_success(int wait_status) const;
    Millis backoff_delay(int attempt) const;
    /// EMFILE, ENFILE, EAGAIN, ENOMEM: a start that may work on the next try.
    [[nodiscard]] static bool is_temporary_error(int error);
    void temporary_failure(const std::string& why);

    config::Program spec_;
    ProgramHost& host_;
    State state_ = State::Stopped;
    std::string message_;
    std::string probe_error_;
    pid_t pid_ = 0;
    bool ready_ = false;
    std::optional<bool> healthy_;
    bool completed_ = false;
    std::optional<int> last_wait_status_;
    int restarts_ = 0;
    int failed_starts_ = 0;
    int crash_streak_ = 0;
    int temporary_failures_ = 0;
    std::deque<Clock::time_point> crash_times_; ///< restarts within crash_limit.within
    AfterStop after_stop_ = AfterStop::Stay;
    std::string after_stop_reason_;
    std::string start_note_; ///< why this run was started, shown while it runs
    Clock::time_point state_since_{};
    Clock::time_point started_at_{};
};

} // namespace svd::process
