// Probes: per program, one Run that schedules readiness attempts and health
// checks, and the attempts in flight (attempt.cpp); the notify socket is in
// notify_socket.cpp.
#include "probes/probes.h"
#include "logs/program_output.h"

#include "probes/attempt.h"
#include "spawn/spawn.h"

#include <csignal>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace svd::probes {

namespace {
constexpr std::uint64_t kReadinessRetryMs = 250;
constexpr std::uint64_t kFirstReadinessMs = 20;
// Readiness attempts are short; the program's own timer bounds the whole wait.
constexpr config::Millis kReadinessAttemptTimeout{2000};
} // namespace

Probes::Probes(uv_loop_t* loop, ProbeHost& host) : loop_(loop), host_(host) {}

Probes::~Probes() {
    notify_poll_.reset(); // before its fd goes
    if (notify_fd_ >= 0) close(notify_fd_);
    if (!notify_path_.empty()) unlink(notify_path_.c_str());
    // attempts_ and runs_ close their handles as they go.
}

Probes::Run& Probes::run_for(const std::string& name) {
    auto& slot = runs_[name];
    if (!slot) {
        slot = std::make_unique<Run>();
        slot->name = name;
        slot->owner = this;
        uv_timer_init(loop_, slot->timer.make());
        slot->timer->data = slot.get();
    }
    return *slot;
}

void Probes::schedule(Run& run, std::uint64_t delay_ms) {
    uv_timer_start(
        run.timer.get(),
        [](uv_timer_t* timer) {
            if (auto* run = static_cast<Run*>(timer->data)) run->owner->fire(*run);
        },
        delay_ms, 0);
}

void Probes::fire(Run& run) {
    process::Program* program = host_.find(run.name);
    if (!program) return;
    const config::Program& spec = program->spec();
    if (run.readiness_active) {
        if (spec.ready.kind == config::Probe::Kind::Delay) {
            run.readiness_active = false;
            program->on_ready();
            host_.request_settle();
            return;
        }
        launch_attempt(run, spec.ready, false);
        return;
    }
    if (run.health_active) launch_attempt(run, spec.health, true);
}

void Probes::begin(process::Program& program) {
    Run& run = run_for(program.name());
    ++run.generation;
    uv_timer_stop(run.timer.get());
    run.health_active = false;
    run.health_failures = 0;
    run.notify_status.clear();
    auto kind = program.spec().ready.kind;
    run.readiness_active = kind != config::Probe::Kind::None && kind != config::Probe::Kind::Notify;
    if (!run.readiness_active) return;
    schedule(run, kind == config::Probe::Kind::Delay ? static_cast<std::uint64_t>(program.spec().ready.delay.count())
                                                     : kFirstReadinessMs);
}

void Probes::end(process::Program& program) {
    auto found = runs_.find(program.name());
    if (found == runs_.end()) return;
    Run& run = *found->second;
    ++run.generation;
    uv_timer_stop(run.timer.get());
    run.readiness_active = false;
    run.health_active = false;
}

void Probes::state_changed(process::Program& program) {
    const config::Probe& health = program.spec().health;
    if (health.kind == config::Probe::Kind::None) return;
    if (program.state() == process::State::Running && program.ready()) {
        Run& run = run_for(program.name());
        if (run.health_active || run.readiness_active) return;
        run.health_active = true;
        run.health_failures = 0;
        schedule(run, kFirstReadinessMs);
    } else if (!process::has_process(program.state())) {
        end(program);
    }
}

void Probes::launch_attempt(Run& run, const config::Probe& probe, bool for_health) {
    auto owned = std::make_unique<Attempt>(*this, run.name, run.generation, for_health);
    Attempt& attempt = *owned;
    attempts_.emplace(owned.get(), std::move(owned));
    attempt.arm_timeout(loop_, for_health ? probe.timeout : kReadinessAttemptTimeout);
    // Each call below may finish (and destroy) the attempt at once.
    if (probe.kind == config::Probe::Kind::Exec)
        launch_exec(attempt, probe);
    else
        attempt.connect_to(loop_, probe.endpoint, probe.kind == config::Probe::Kind::Http);
}

void Probes::launch_exec(Attempt& attempt, const config::Probe& probe) {
    spawn::SpawnOptions options;
    options.argv = probe.exec_argv;
    for (char** entry = environ; entry && *entry; ++entry) options.env.emplace_back(*entry);
    if (auto* output = host_.output(attempt.program)) {
        options.stdout_fd = output->child_stdout();
        options.stderr_fd = output->child_stderr();
    }
    options.parent_death_signal = SIGKILL;
    spawn::SpawnResult result = spawn::spawn_process(options);
    if (!result.ok()) {
        attempt.finish(false, result.message);
        return;
    }
    attempt.pid = result.pid;
    attempt.command = probe.exec_argv.front();
    exec_attempts_[result.pid] = &attempt;
}

bool Probes::reaped(pid_t pid, int wait_status) {
    auto found = exec_attempts_.find(pid);
    if (found == exec_attempts_.end()) return false;
    Attempt* attempt = found->second;
    exec_attempts_.erase(found);
    kill(-pid, SIGKILL); // nothing the probe started may linger
    if (attempt) {
        attempt->pid = 0;
        bool success = WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0;
        attempt->finish(success, attempt->command + ": " + process::describe_wait_status(wait_status));
    }
    return true;
}

void Probes::attempt_done(Attempt* attempt, bool success, const std::string& detail) {
    auto found = attempts_.find(attempt);
    if (found == attempts_.end()) return;
    // Keep it alive until the result is applied: `detail` may be its own text.
    std::unique_ptr<Attempt> owned = std::move(found->second);
    attempts_.erase(found);
    // Timed out: keep the pid known so the reaper recognises it, but forget the attempt.
    if (attempt->pid > 0) exec_attempts_[attempt->pid] = nullptr;
    apply_result(*attempt, success, detail);
}

void Probes::apply_result(const Attempt& attempt, bool success, const std::string& detail) {
    auto found = runs_.find(attempt.program);
    if (found == runs_.end()) return;
    Run& run = *found->second;
    if (run.generation != attempt.generation) return;
    process::Program* program = host_.find(run.name);
    if (!program) return;
    if (!attempt.for_health) {
        if (!run.readiness_active) return;
        program->set_probe_error(success ? std::string{} : detail);
        if (success) {
            run.readiness_active = false;
            program->on_ready();
        } else {
            schedule(run, kReadinessRetryMs);
        }
        host_.request_settle();
        return;
    }
    if (!run.health_active) return;
    program->set_probe_error(success ? std::string{} : detail);
    const config::Probe& health = program->spec().health;
    if (success) {
        run.health_failures = 0;
        program->on_health(true);
    } else if (++run.health_failures >= health.retries) {
        spdlog::warn("{}: health check failed {} times in a row: {}", run.name, run.health_failures, detail);
        program->on_health(false);
    }
    if (run.health_active) schedule(run, static_cast<std::uint64_t>(health.interval.count()));
    host_.request_settle();
}

} // namespace svd::probes
