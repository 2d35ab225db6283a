// The Supervisor as each Program's host (process::ProgramHost): what a
// program's state machine asks of the runtime (spawn it with its fds and
// environment, signal its group, arm its timer) and what the runtime tells it
// back (a state change, a reaped child).
#include "runtime/supervisor.h"

#include "daemon/state_file.h"
#include "probes/probes.h"
#include "runtime/environment.h"
#include "runtime/escapees.h"
#include "runtime/remnants.h"
#include "sockets/sockets.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

namespace svd::runtime {

using process::Program;
using process::State;

std::vector<std::string> Supervisor::build_environment(const Program& program) const {
    auto env = program_environment(base_environment_, program.spec(), config_.svd.home);
    sockets_->add_environment(program, env);
    probes_->add_environment(program, env);
    std::vector<std::string> out;
    out.reserve(env.size());
    for (const auto& [key, value] : env) out.push_back(key + "=" + value);
    return out;
}

spawn::SpawnResult Supervisor::launch(Program& program) {
    Slot* slot = slot_of(program);
    const config::Program& spec = program.spec();
    spawn::SpawnOptions options;
    options.argv = spec.argv;
    options.env = build_environment(program);
    options.directory = spec.directory.empty() ? config_.svd.home : spec.directory;
    options.umask = spec.umask;
    options.stdout_fd = slot->output->child_stdout();
    options.stderr_fd = slot->output->child_stderr();
    options.pass_fds = sockets_->fds_for(program);
    options.set_listen_pid = !options.pass_fds.empty() && spec.socket_protocol == config::SocketProtocol::Systemd;
    options.parent_death_signal = SIGKILL; // no program outlives a killed svd
    if (state_file_) {
        options.record_fd = state_file_->journal_fd();
        options.record_tail = spec.name + "\n";
    }
    spawn::SpawnResult result = spawn::spawn_process(options);
    if (result.record_errno)
        spdlog::warn("{}: could not record its process group before exec: {}", spec.name,
                     std::strerror(result.record_errno));
    if (result.ok()) {
        by_pid_[result.pid] = &program;
        if (state_file_) state_file_->add(result.pid, spec.name);
        spdlog::info("{}: started, pid {}", spec.name, result.pid);
    } else {
        spdlog::error("{}: {}", spec.name, result.message);
    }
    return result;
}

void Supervisor::signal_group(pid_t pgid, int signal) {
    if (pgid <= 0) return;
    // The leader is still ours (not yet reaped), so the group id cannot have been reused.
    // First what left the group with setsid: once the leader dies of the
    // signal, no parent link leads from it to them any more.
    remnants_->signal_escaped(pgid, signal);
    if (kill(-pgid, signal) != 0 && errno == ESRCH) kill(pgid, signal);
}

void Supervisor::set_timer(Program& program, process::Millis delay) {
    Slot* slot = slot_of(program);
    uv_update_time(loop_);
    uv_timer_start(
        slot->timer.get(),
        [](uv_timer_t* timer) {
            auto* slot = static_cast<Slot*>(timer->data);
            if (!slot) return;
            slot->program->on_timer();
            slot->owner->request_settle();
        },
        static_cast<uint64_t>(std::max<long long>(0, delay.count())), 0);
}

void Supervisor::cancel_timer(Program& program) {
    if (Slot* slot = slot_of(program)) uv_timer_stop(slot->timer.get());
}

process::Clock::time_point Supervisor::now() { return process::Clock::now(); }

void Supervisor::changed(Program& program, State from) {
    State to = program.state();
    if (from != to) {
        if (to == State::Fatal || to == State::Backoff)
            spdlog::warn("{}: {} -> {}: {}", program.name(), process::to_string(from), process::to_string(to),
                         program.message());
        else
            spdlog::info("{}: {} -> {}{}{}", program.name(), process::to_string(from), process::to_string(to),
                         program.message().empty() ? "" : ": ", program.message());
    }
    probes_->state_changed(program);
    // A program that stops being ready by itself (crash, health restart)
    // takes its followers down with it; they start again once it is ready.
    // Not when svd stops it: then its job says so.
    Slot* slot = slot_of(program);
    if (from == State::Running && to != State::Running && !shutting_down_ && slot && !slot->job.stops())
        make_followers_follow(program.name());
    request_settle();
}

void Supervisor::probes_begin(Program& program) { probes_->begin(program); }
void Supervisor::probes_end(Program& program) { probes_->end(program); }

void Supervisor::reap_children() {
    std::set<std::string> exited;
    for (;;) {
        int status = 0;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid <= 0) break;
        if (probes_->reaped(pid, status)) continue;
        auto found = by_pid_.find(pid);
        if (found == by_pid_.end()) {
            // A program removed by a reload, or an orphan we adopted as subreaper.
            if (remnants_->reaped(pid) && state_file_) state_file_->remove(pid);
            continue;
        }
        Program* program = found->second;
        by_pid_.erase(found);
        if (state_file_) state_file_->remove(pid);
        // Whatever the leader left in its tree goes with it (orphaned nginx
        // workers would otherwise keep serving from a held socket), but
        // with the stop sequence: a worker draining on TERM gets its
        // stop_timeout (systemd's KillMode=mixed).
        remnants_->drain(program->name(), pid, {}, program->spec().stop_signal, time_left_to_stop(*program));
        spdlog::info("{}: pid {} {}", program->name(), pid, process::describe_wait_status(status));
        exited.insert(program->name());
        program->on_exit(status);
    }
    if (!exited.empty())
        for (const auto& escapee : find_escapees(exited, [this](pid_t pid) { return by_pid_.count(pid) > 0; }))
            if (const Program* program = find(escapee.name))
                remnants_->end_escapee(escapee.name, escapee.pid, program->spec().stop_signal,
                                       program->spec().stop_timeout);
    request_settle();
}

} // namespace svd::runtime
