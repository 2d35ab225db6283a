#include "process/program.h"

#include "config/units.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <sys/stat.h>
#include <sys/wait.h>

namespace svd::process {

Program::Program(config::Program spec, ProgramHost& host) : spec_(std::move(spec)), host_(host) {
    state_since_ = host_.now();
}

void Program::enter(State state, std::string message) {
    State from = state_;
    state_ = state;
    message_ = std::move(message);
    state_since_ = host_.now();
    host_.changed(*this, from);
}

bool Program::start(std::string why) {
    switch (state_) {
    case State::Starting:
    case State::Running:
        return true;
    case State::Stopping:
        // Finish the stop first; the start follows it.
        after_stop_ = AfterStop::Restart;
        return true;
    case State::Backoff:
        host_.cancel_timer(*this);
        break;
    default:
        break;
    }
    failed_starts_ = 0;
    crash_streak_ = 0;
    temporary_failures_ = 0;
    crash_times_.clear(); // a start asked for by the user begins a fresh count
    start_note_ = std::move(why);
    if (spec_.type == config::ProgramType::Oneshot && !spec_.creates.empty()) {
        struct stat info {};
        if (stat(spec_.creates.c_str(), &info) == 0) {
            completed_ = true;
            ready_ = true;
            enter(State::Exited, "skipped: " + spec_.creates + " exists");
            return true;
        }
    }
    spawn_now();
    return state_ != State::Fatal;
}

void Program::wait(const std::string& reason) {
    if (has_process(state_)) return;
    if (state_ == State::Backoff) host_.cancel_timer(*this);
    if (state_ == State::Waiting && message_ == reason) return;
    enter(State::Waiting, reason);
}

void Program::spawn_now() {
    ready_ = false;
    probe_error_.clear();
    healthy_.reset();
    completed_ = false;
    spawn::SpawnResult result = host_.launch(*this);
    if (!result.ok()) {
        pid_ = 0;
        if (is_temporary_error(result.error)) {
            // Out of fds, processes or memory for now: the next try may well
            // work, so this is a failed start with backoff, never FATAL.
            temporary_failure(result.message);
            return;
        }
        // The executable is missing or cannot run: retrying cannot help, so
        // say why at once instead of looping through BACKOFF.
        enter(State::Fatal, result.message);
        return;
    }
    pid_ = result.pid;
    temporary_failures_ = 0;
    started_at_ = host_.now();
    after_stop_ = AfterStop::Stay;
    enter(State::Starting, start_note_);
    host_.probes_begin(*this);
    if (spec_.type == config::ProgramType::Oneshot) {
        if (spec_.ready.kind != config::Probe::Kind::None) host_.set_timer(*this, spec_.ready.timeout);
        return; // done when it exits
    }
    if (spec_.ready.kind == config::Probe::Kind::None)
        host_.set_timer(*this, spec_.start_grace);
    else
        host_.set_timer(*this, spec_.ready.timeout);
}

void Program::stop() {
    switch (state_) {
    case State::Starting:
    case State::Running:
        begin_stop(AfterStop::Stay);
        break;
    case State::Stopping:
        after_stop_ = AfterStop::Stay;
        break;
    case State::Backoff:
    case State::Waiting:
        host_.cancel_timer(*this);
        enter(State::Stopped);
        break;
    default:
        break;
    }
}

void Program::begin_stop(AfterStop after, std::string why) {
    after_stop_ = after;
    host_.probes_end(*this);
    ready_ = false;
    enter(State::Stopping, after == AfterStop::Backoff ? after_stop_reason_ : std::move(why));
    host_.signal_group(pid_, spec_.stop_signal);
    host_.set_timer(*this, spec_.stop_timeout);
}

bool Program::exit_is_success(int wait_status) const {
    if (!WIFEXITED(wait_status)) return false;
    int code = WEXITSTATUS(wait_status);
    return std::find(spec_.exit_codes.begin(), spec_.exit_codes.end(), code) != spec_.exit_codes.end();
}

Millis Program::backoff_delay(int attempt) const {
    // initial, 2×initial, 4×initial, ... capped at max; attempt counts from 1.
    // Never under kMinRestartDelay: backoff = { initial = "0s", max = "0s" }
    // would otherwise restart a crashing program 125 times a second.
    Millis delay = std::max(spec_.backoff.initial, kMinRestartDelay);
    for (int i = 1; i < attempt && delay < spec_.backoff.max; ++i) delay *= 2;
    return std::max(std::min(delay, spec_.backoff.max), kMinRestartDelay);
}

bool Program::is_temporary_error(int error) {
    return error == EMFILE || error == ENFILE || error == EAGAIN || error == ENOMEM;
}

void Program::temporary_failure(const std::string& why) {
    // Not counted against backoff.retries: the cause is outside the program
    // (an fd limit reached by something else), and it passes.
    ++temporary_failures_;
    ++restarts_;
    enter(State::Backoff, why + " (temporary; retrying)");
    host_.set_timer(*this, backoff_delay(temporary_failures_));
}

void Program::failed_start(const std::string& why) {
    ++failed_starts_;
    if (spec_.restart == config::RestartPolicy::Never) {
        enter(State::Fatal, why + "; not retried (restart = \"never\")");
        return;
    }
    if (failed_starts_ > spec_.backoff.retries) {
        std::string text = why + "; gave up after " + std::to_string(failed_starts_) + " failed start";
        if (failed_starts_ > 1) text += "s";
        enter(State::Fatal, text);
        return;
    }
    ++restarts_;
    enter(State::Backoff, why);
    host_.set_timer(*this, backoff_delay(failed_starts_));
}

void Program::on_exit(int wait_status) {
    last_wait_status_ = wait_status;
    host_.cancel_timer(*this);
    host_.probes_end(*this);
    const State was = state_;
    pid_ = 0;
    start_note_.clear(); // a run that ended is no longer "restarted by watch"
    ready_ = false;
    healthy_.reset();
    const std::string how = describe_wait_status(wait_status);

    if (was == State::Stopping) {
        AfterStop after = after_stop_;
        after_stop_ = AfterStop::Stay;
        if (after == AfterStop::Restart) {
            ++restarts_;
            spawn_now();
        } else if (after == AfterStop::Backoff) {
            failed_start(after_stop_reason_);
        } else {
            enter(State::Stopped, how);
        }
        return;
    }
    if (spec_.type == config::ProgramType::Oneshot) {
        if (exit_is_success(wait_status)) {
            completed_ = true;
            ready_ = true;
            failed_starts_ = 0;
            enter(State::Exited, how);
        } else if (spec_.restart == config::RestartPolicy::Never) {
            enter(State::Fatal, how);
        } else {
            failed_start(how);
        }
        return;
    }
    if (was == State::Starting) {
        // restart = "never": svd never runs it again by itself, so an early
        // exit is its result, not a failed start to retry (a data job that
        // finishes within start_grace must not run twice).
        if (spec_.restart == config::RestartPolicy::Never && exit_is_success(wait_status)) {
            enter(State::Exited, how);
            return;
        }
        failed_start("exited too quickly (" + how + ")");
        return;
    }
    exited_while_running(wait_status);
}

void Program::exited_while_running(int wait_status) {
    const std::string how = describe_wait_status(wait_status);
    const bool success = exit_is_success(wait_status);
    bool again = spec_.restart == config::RestartPolicy::Always ||
                 (spec_.restart == config::RestartPolicy::OnFailure && !success);
    if (!again) {
        enter(State::Exited, how);
        return;
    }
    // crash_limit: restarts within a sliding window, however long each run
    // was, so that no backoff setting lets a crash loop go on forever.
    const auto now = host_.now();
    crash_times_.push_back(now);
    while (!crash_times_.empty() && now - crash_times_.front() >= spec_.crash_limit.within) crash_times_.pop_front();
    if (static_cast<int>(crash_times_.size()) >= spec_.crash_limit.count) {
        enter(State::Fatal, how + "; gave up after " + std::to_string(crash_times_.size()) + " restarts within " +
                                config::human_duration(spec_.crash_limit.within) + " (crash_limit)");
        crash_times_.clear();
        return;
    }
    // A program that ran for longer than backoff.max (and kMinRestartDelay)
    // is restarted at once; one that keeps dying soon after start waits
    // longer each time.
    const auto uptime = now - started_at_;
    crash_streak_ = uptime >= std::max(spec_.backoff.max, kMinRestartDelay) ? 0 : crash_streak_ + 1;
    ++restarts_;
    if (crash_streak_ == 0) {
        spawn_now();
        return;
    }
    enter(State::Backoff, how + "; restarting");
    host_.set_timer(*this, backoff_delay(crash_streak_));
}

void Program::on_timer() {
    switch (state_) {
    case State::Starting:
        if (spec_.ready.kind == config::Probe::Kind::None && spec_.type == config::ProgramType::Longrun) {
            on_ready();
            return;
        }
        // The last attempt's error says what to fix ("connection refused": the port).
        after_stop_reason_ = "not ready within " + config::human_duration(spec_.ready.timeout);
        if (!probe_error_.empty())
            after_stop_reason_ += ": " + probe_error_;
        else if (spec_.ready.kind == config::Probe::Kind::Notify)
            after_stop_reason_ += ": no READY=1 on NOTIFY_SOCKET";
        begin_stop(AfterStop::Backoff);
        return;
    case State::Backoff:
        spawn_now();
        return;
    case State::Stopping:
        // The group ignored the stop signal: take it down for good.
        host_.signal_group(pid_, SIGKILL);
        message_ = "stop_timeout reached, sent SIGKILL";
        return;
    default:
        return;
    }
}

void Program::on_ready() {
    if (state_ != State::Starting && state_ != State::Running) return;
    if (state_ == State::Running && ready_) return;
    host_.cancel_timer(*this);
    ready_ = true;
    failed_starts_ = 0;
    if (spec_.type == config::ProgramType::Oneshot) {
        // A oneshot may be "ready" before it exits; completion still comes from its exit.
        host_.changed(*this, state_);
        return;
    }
    enter(State::Running, start_note_);
}

Program::Adopted Program::snapshot() const {
    return {state_, pid_, message_, ready_, completed_, last_wait_status_, restarts_, failed_starts_,
            started_at_, state_since_};
}

void Program::adopt(const Adopted& adopted) {
    State from = state_;
    state_ = adopted.state;
    pid_ = adopted.pid;
    message_ = adopted.message;
    ready_ = adopted.ready;
    completed_ = adopted.completed;
    last_wait_status_ = adopted.last_wait_status;
    restarts_ = adopted.restarts;
    failed_starts_ = adopted.failed_starts;
    started_at_ = adopted.started_at;
    state_since_ = adopted.state_since;
    // Timers died with the old image: give each waiting state its full time again.
    switch (state_) {
    case State::Starting:
        host_.probes_begin(*this);
        if (spec_.ready.kind == config::Probe::Kind::None && spec_.type == config::ProgramType::Longrun)
            host_.set_timer(*this, spec_.start_grace);
        else if (spec_.ready.kind != config::Probe::Kind::None)
            host_.set_timer(*this, spec_.ready.timeout);
        break;
    case State::Stopping:
        host_.set_timer(*this, spec_.stop_timeout);
        break;
    case State::Backoff:
        host_.set_timer(*this, std::max(spec_.backoff.initial, kMinRestartDelay));
        break;
    case State::Waiting:
        state_ = State::Stopped; // the new svd decides again what to wait for
        break;
    default:
        break;
    }
    host_.changed(*this, from);
}

void Program::on_health(bool healthy) {
    if (healthy_ == healthy) return;
    healthy_ = healthy;
    if (!healthy && state_ == State::Running && spec_.restart != config::RestartPolicy::Never) {
        // The reason must survive into STOPPING, where `svctl status` shows it.
        begin_stop(AfterStop::Restart, "unhealthy; restarting");
        return;
    }
    host_.changed(*this, state_);
}

} // namespace svd::process
