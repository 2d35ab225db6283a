#include "runtime/supervisor.h"
#include "probes/probes.h"
#include "sockets/sockets.h"
#include "config/env_file.h"
#include "watch/file_watch.h"
#include "daemon/state_file.h"

#include <algorithm>
#include <dirent.h>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <cerrno>
#include <csignal>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace svd::runtime {

using process::Program;
using process::State;

Supervisor::Supervisor(uv_loop_t* loop, config::Config config)
    : loop_(loop), config_(std::move(config)), born_(process::Clock::now()) {
    for (char** entry = environ; entry && *entry; ++entry) base_environment_.emplace_back(*entry);
    for (const auto& spec : config_.programs) add_slot(spec);
    probes_ = std::make_unique<Probes>(loop_, *this);
    sockets_ = std::make_unique<Sockets>(loop_, *this);
    file_watch_ = std::make_unique<FileWatch>(loop_, *this);
}

Supervisor::~Supervisor() {
    for (auto& [name, slot] : slots_) {
        uv_close(reinterpret_cast<uv_handle_t*>(slot.timer),
                 [](uv_handle_t* handle) { delete reinterpret_cast<uv_timer_t*>(handle); });
        auto* output = slot.output.release();
        output->close([output] { delete output; });
    }
}

Supervisor::Slot& Supervisor::add_slot(const config::Program& spec) {
    Slot slot;
    slot.program = std::make_unique<Program>(spec, *this);
    slot.output = std::make_unique<logs::ProgramOutput>(loop_, spec.name, config_.svd.log_dir, spec.log);
    slot.timer = new uv_timer_t;
    uv_timer_init(loop_, slot.timer);
    slot.timer->data = slot.program.get();
    return slots_.emplace(spec.name, std::move(slot)).first->second;
}

bool Supervisor::prepare(std::string& error) {
    if (!sockets_->bind_all(config_, error)) return false;
    std::string notify_error;
    if (!probes_->open_notify_socket(config_.svd.run_dir + "/notify.sock", notify_error))
        spdlog::warn("sd_notify readiness unavailable: {}", notify_error);
    for (auto& [name, slot] : slots_) {
        if (!slot.output->open()) {
            error = "program " + name + ": " + slot.output->error();
            return false;
        }
        if (!slot.output->error().empty()) spdlog::warn("program {}: {}", name, slot.output->error());
    }
    file_watch_->rebuild(config_);
    return true;
}

std::vector<std::string> Supervisor::names() const {
    std::vector<std::string> out;
    for (const auto& spec : config_.programs) out.push_back(spec.name);
    // Removed by an update but still stopping: listed until forgotten.
    for (const auto& name : pending_forget_)
        if (!config_.find_program(name)) out.push_back(name);
    return out;
}

Program* Supervisor::find(const std::string& name) {
    auto found = slots_.find(name);
    return found == slots_.end() ? nullptr : found->second.program.get();
}

logs::ProgramOutput* Supervisor::output(const std::string& name) {
    auto found = slots_.find(name);
    return found == slots_.end() ? nullptr : found->second.output.get();
}

Supervisor::Slot* Supervisor::slot_of(const Program& program) {
    auto found = slots_.find(program.name());
    return found == slots_.end() ? nullptr : &found->second;
}

double Supervisor::uptime_s() const {
    return std::chrono::duration<double>(process::Clock::now() - born_).count();
}

// ---- dependency graph ------------------------------------------------------

void Supervisor::collect_dependencies(const std::string& name, std::vector<std::string>& out,
                                      std::set<std::string>& seen) const {
    const config::Program* spec = config_.find_program(name);
    if (!spec) return;
    for (const auto& dependency : spec->dependencies) {
        if (!seen.insert(dependency.name).second) continue;
        collect_dependencies(dependency.name, out, seen);
        out.push_back(dependency.name);
    }
}

std::vector<std::string> Supervisor::dependencies_of(const std::string& name) const {
    std::vector<std::string> out;
    std::set<std::string> seen{name};
    collect_dependencies(name, out, seen);
    return out;
}

std::vector<std::string> Supervisor::dependents_of(const std::string& name) const {
    std::vector<std::string> out;
    std::set<std::string> seen{name};
    std::vector<std::string> frontier{name};
    while (!frontier.empty()) {
        std::string current = frontier.back();
        frontier.pop_back();
        for (const auto& spec : config_.programs)
            for (const auto& dependency : spec.dependencies)
                if (dependency.name == current && seen.insert(spec.name).second) {
                    out.push_back(spec.name);
                    frontier.push_back(spec.name);
                }
    }
    return out;
}

bool Supervisor::condition_holds(const config::Dependency& dependency) {
    Program* target = find(dependency.name);
    if (!target) return false;
    switch (dependency.condition) {
    case config::Condition::Started:
        return process::has_process(target->state()) || target->completed() ||
               target->state() == State::Running;
    case config::Condition::Ready:
        return target->ready() &&
               (target->state() == State::Running || target->completed() || target->state() == State::Starting);
    case config::Condition::Healthy:
        if (target->spec().health.kind == config::Probe::Kind::None)
            return target->ready() && target->state() == State::Running;
        return target->healthy().value_or(false) && target->state() == State::Running;
    case config::Condition::Completed:
        return target->completed();
    }
    return false;
}

std::string Supervisor::blocked_by(const std::string& name, bool& hopeless) {
    hopeless = false;
    const config::Program* spec = config_.find_program(name);
    if (!spec) return {};
    std::vector<std::string> waiting_for;
    for (const auto& dependency : spec->dependencies) {
        if (condition_holds(dependency)) continue;
        Program* target = find(dependency.name);
        State state = target ? target->state() : State::Fatal;
        bool target_pending = pending_start_.count(dependency.name) > 0;
        if (state == State::Fatal || (!target_pending && !process::has_process(state) && state != State::Backoff &&
                                      state != State::Waiting)) {
            hopeless = hopeless || state == State::Fatal ||
                       (state == State::Exited && dependency.condition == config::Condition::Completed);
        }
        std::string reason = dependency.name + " (" + config::to_string(dependency.condition) + ")";
        if (state == State::Fatal) reason = dependency.name + " is FATAL";
        waiting_for.push_back(reason);
    }
    if (waiting_for.empty()) return {};
    std::string text = "waiting for ";
    for (std::size_t i = 0; i < waiting_for.size(); ++i) text += (i ? ", " : "") + waiting_for[i];
    return text;
}

bool Supervisor::has_active_dependents(const std::string& name) {
    for (const auto& dependent : dependents_of(name)) {
        Program* program = find(dependent);
        if (program && process::has_process(program->state())) return true;
    }
    return false;
}

// ---- requests --------------------------------------------------------------

void Supervisor::start(const std::vector<std::string>& names, std::function<void(std::vector<Outcome>)> done) {
    for (const auto& name : names) {
        for (const auto& dependency : dependencies_of(name)) {
            Program* program = find(dependency);
            if (program && !process::has_process(program->state()) && !program->completed())
                pending_start_.insert(dependency);
        }
        pending_stop_.erase(name);
        pending_start_.insert(name);
    }
    if (done) waiters_.push_back({Goal::Up, names, std::move(done)});
    settle();
}

void Supervisor::stop(const std::vector<std::string>& names, std::function<void(std::vector<Outcome>)> done,
                      std::vector<std::string>* also) {
    std::set<std::string> requested(names.begin(), names.end());
    for (const auto& name : names) {
        for (const auto& dependent : dependents_of(name)) {
            Program* program = find(dependent);
            if (!program) continue;
            bool active = process::has_process(program->state()) || program->state() == State::Backoff ||
                          program->state() == State::Waiting || pending_start_.count(dependent);
            if (active && !requested.count(dependent) && !pending_stop_.count(dependent)) {
                if (also) also->push_back(dependent);
                pending_stop_.insert(dependent);
            }
            pending_start_.erase(dependent);
            pending_restart_.erase(dependent);
        }
        pending_start_.erase(name);
        pending_restart_.erase(name);
        pending_stop_.insert(name);
    }
    for (const auto& name : *(also ? also : &names)) pending_restart_.erase(name);
    if (done) {
        std::vector<std::string> all = names;
        if (also) all.insert(all.end(), also->begin(), also->end());
        waiters_.push_back({Goal::Down, all, std::move(done)});
    }
    settle();
}

void Supervisor::restart(const std::vector<std::string>& names, std::function<void(std::vector<Outcome>)> done) {
    for (const auto& name : names) {
        if (!find(name)) continue;
        for (const auto& dependency : dependencies_of(name)) {
            Program* program = find(dependency);
            if (program && !process::has_process(program->state()) && !program->completed())
                pending_start_.insert(dependency);
        }
        pending_start_.erase(name);
        pending_stop_.insert(name);
        pending_restart_.insert(name);
        make_followers_follow(name);
    }
    if (done) waiters_.push_back({Goal::Up, names, std::move(done)});
    settle();
}

void Supervisor::wait_for(const std::vector<std::string>& names, std::function<void(std::vector<Outcome>)> done) {
    waiters_.push_back({Goal::Up, names, std::move(done)});
    settle();
}

std::vector<std::string> Supervisor::followers_of(const std::string& name) const {
    std::vector<std::string> out;
    std::set<std::string> seen{name};
    std::vector<std::string> frontier{name};
    while (!frontier.empty()) {
        std::string current = frontier.back();
        frontier.pop_back();
        for (const auto& spec : config_.programs)
            for (const auto& dependency : spec.dependencies)
                if (dependency.name == current &&
                    (dependency.condition == config::Condition::Ready ||
                     dependency.condition == config::Condition::Healthy) &&
                    seen.insert(spec.name).second) {
                    out.push_back(spec.name);
                    frontier.push_back(spec.name);
                }
    }
    return out;
}

void Supervisor::make_followers_follow(const std::string& name) {
    for (const auto& follower : followers_of(name)) {
        Program* program = find(follower);
        if (!program) continue;
        State state = program->state();
        if (!process::has_process(state) && state != State::Backoff) continue;
        if (pending_stop_.count(follower) && !pending_restart_.count(follower)) continue; // being stopped for good
        spdlog::info("{}: restarting because it requires {}, which is restarting", follower, name);
        pending_start_.erase(follower);
        pending_stop_.insert(follower);
        pending_restart_.insert(follower);
    }
}

void Supervisor::shutdown(std::function<void()> done) {
    shutting_down_ = true;
    shutdown_done_ = std::move(done);
    pending_start_.clear();
    pending_restart_.clear();
    for (const auto& name : names()) pending_stop_.insert(name);
    settle();
}

void Supervisor::start_boot_programs(const std::set<std::string>& adopted) {
    std::vector<std::string> boot;
    for (const auto& spec : config_.programs) {
        // On-demand programs are armed now (settle() waits for the first connection).
        if (spec.start != config::StartMode::Boot && spec.start != config::StartMode::OnDemand) continue;
        // Adopted across a reload: left as they were, except that an on-demand
        // program still waiting for its first connection is armed again.
        if (adopted.count(spec.name)) {
            Program* program = find(spec.name);
            bool waiting_for_demand = spec.start == config::StartMode::OnDemand && program &&
                                      !process::has_process(program->state()) &&
                                      program->state() != State::Fatal;
            if (!waiting_for_demand) continue;
        }
        boot.push_back(spec.name);
    }
    start(boot, nullptr);
}

void Supervisor::reopen_logs() {
    for (auto& [name, slot] : slots_) slot.output->reopen_files();
}

// ---- deciding what happens next ------------------------------------------

std::optional<Outcome> Supervisor::verdict(Goal goal, const std::string& name) {
    Program* program = find(name);
    if (!program) return Outcome{name, false, "", "no such program"};
    Outcome outcome{name, false, process::to_string(program->state()), program->message()};
    State state = program->state();
    if (goal == Goal::Down) {
        if (process::has_process(state) || pending_stop_.count(name)) return std::nullopt;
        outcome.ok = true;
        return outcome;
    }
    if (pending_start_.count(name)) return std::nullopt;
    if (!process::has_process(state) && program->spec().start == config::StartMode::OnDemand &&
        sockets_->armed(name)) {
        // Started as far as it can be: the first connection does the rest.
        outcome.ok = true;
        outcome.message = "on demand: starts at the first connection";
        return outcome;
    }
    switch (state) {
    case State::Running:
        if (!program->ready()) return std::nullopt;
        outcome.ok = true;
        return outcome;
    case State::Exited:
        outcome.ok = program->completed();
        return outcome;
    case State::Starting:
    case State::Backoff:
    case State::Stopping:
        return std::nullopt;
    case State::Waiting: {
        bool hopeless = false;
        blocked_by(name, hopeless);
        if (!hopeless) return std::nullopt;
        return outcome;
    }
    default:
        return outcome;
    }
}

void Supervisor::settle() {
    if (settling_) return;
    settling_ = true;
    bool progress = true;
    while (progress) {
        progress = false;
        // Stops first, dependents before what they depend on.
        for (auto it = pending_stop_.begin(); it != pending_stop_.end();) {
            Program* program = find(*it);
            if (!program) {
                it = pending_stop_.erase(it);
                continue;
            }
            bool dependents_busy = false;
            for (const auto& dependent : dependents_of(*it))
                if (Program* other = find(dependent); other && process::has_process(other->state()))
                    dependents_busy = true;
            if (dependents_busy) {
                ++it;
                continue;
            }
            acting_ = true;
            program->stop();
            acting_ = false;
            if (!pending_restart_.count(*it)) sockets_->program_stopped(*program);
            it = pending_stop_.erase(it);
            progress = true;
        }
        // Restarts whose stop is complete become starts.
        for (auto it = pending_restart_.begin(); it != pending_restart_.end();) {
            Program* program = find(*it);
            if (!program || pending_stop_.count(*it) || process::has_process(program->state())) {
                ++it;
                continue;
            }
            program->count_restart();
            pending_start_.insert(*it);
            it = pending_restart_.erase(it);
            progress = true;
        }
        for (auto it = pending_start_.begin(); it != pending_start_.end();) {
            Program* program = find(*it);
            if (!program) {
                it = pending_start_.erase(it);
                continue;
            }
            bool hopeless = false;
            std::string reason = blocked_by(*it, hopeless);
            if (!reason.empty()) {
                program->wait(reason);
                if (hopeless) {
                    it = pending_start_.erase(it);
                    progress = true;
                    continue;
                }
                ++it;
                continue;
            }
            std::string name = *it;
            it = pending_start_.erase(it);
            if (program->spec().start == config::StartMode::OnDemand && !process::has_process(program->state()) &&
                !sockets_->demand_seen(name)) {
                // Socket-activated: wait for the first connection instead.
                sockets_->arm_on_demand(*program);
                continue;
            }
            program->start();
            progress = true;
        }
    }
    forget_removed();
    // Replies for requests that reached their verdict.
    for (std::size_t i = 0; i < waiters_.size();) {
        std::vector<Outcome> outcomes;
        bool all = true;
        for (const auto& name : waiters_[i].names) {
            auto outcome = verdict(waiters_[i].goal, name);
            if (!outcome) {
                all = false;
                break;
            }
            outcomes.push_back(*outcome);
        }
        if (!all) {
            ++i;
            continue;
        }
        auto done = std::move(waiters_[i].done);
        waiters_.erase(waiters_.begin() + static_cast<std::ptrdiff_t>(i));
        done(outcomes);
    }
    settling_ = false;
    if (shutting_down_ && shutdown_done_ && pending_stop_.empty()) {
        bool any_alive = false;
        for (auto& [name, slot] : slots_) any_alive = any_alive || process::has_process(slot.program->state());
        if (!any_alive) {
            auto done = std::move(shutdown_done_);
            shutdown_done_ = nullptr;
            done();
        }
    }
}

// ---- ProgramHost -----------------------------------------------------------

std::vector<std::string> Supervisor::build_environment(const Program& program) const {
    const config::Program& spec = program.spec();
    std::map<std::string, std::string> env;
    for (const auto& entry : base_environment_) {
        auto eq = entry.find('=');
        if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
    }
    // Variables of svd's own protocols must never leak from svd's environment.
    for (const char* own : {"LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "NGINX", "NOTIFY_SOCKET"}) env.erase(own);
    env["SVD_PROGRAM"] = spec.name;
    env["SVD_HOME"] = config_.svd.home;
    if (!spec.env_file.empty()) {
        config::EnvFile file = config::read_env_file(spec.env_file);
        if (!file.error.empty()) spdlog::warn("program {}: {}", spec.name, file.error);
        for (const auto& warning : file.warnings) spdlog::warn("program {}: {}", spec.name, warning);
        for (const auto& [key, value] : file.values) env[key] = value;
    }
    for (const auto& [key, value] : spec.environment) env[key] = value;
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
    spawn::SpawnResult result = spawn::spawn_process(options);
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
    if (kill(-pgid, signal) != 0 && errno == ESRCH) kill(pgid, signal);
}

void Supervisor::set_timer(Program& program, process::Millis delay) {
    Slot* slot = slot_of(program);
    uv_update_time(loop_);
    uv_timer_start(
        slot->timer,
        [](uv_timer_t* timer) {
            auto* program = static_cast<Program*>(timer->data);
            program->on_timer();
            // The host is reachable from the program's ProgramHost reference only;
            // settle through the loop's data pointer, set by main.
            if (auto* supervisor = static_cast<Supervisor*>(timer->loop->data)) supervisor->settle();
        },
        static_cast<uint64_t>(std::max<long long>(0, delay.count())), 0);
}

void Supervisor::cancel_timer(Program& program) {
    if (Slot* slot = slot_of(program)) uv_timer_stop(slot->timer);
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
    if (from == State::Running && to != State::Running && !acting_ && !shutting_down_ &&
        !pending_stop_.count(program.name()))
        make_followers_follow(program.name());
}

void Supervisor::probes_begin(Program& program) { probes_->begin(program); }
void Supervisor::probes_end(Program& program) { probes_->end(program); }

namespace {

/// The whole of a small /proc file, empty when it is gone. Plain read(2):
/// an ifstream throws from underflow (ESRCH) when the process exits while
/// it is being read, which took svd down during `stop all`.
std::string read_proc_file(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return {};
    std::string content;
    char buffer[4096];
    for (;;) {
        ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        content.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return content;
}

} // namespace

void Supervisor::sweep_orphans(const std::set<std::string>& names) {
    static const std::string kTag = "SVD_PROGRAM=";
    // Our direct children, from the kernel's own lists (one small read per
    // thread), not a scan of every process on the machine, and once per
    // batch of reaps: reading /proc/*/stat for 1,000 programs times 1,000
    // reaps made `stop all` take seconds.
    std::vector<pid_t> children;
    if (DIR* tasks = opendir("/proc/self/task")) {
        while (dirent* task = readdir(tasks)) {
            if (task->d_name[0] == '.') continue;
            std::string list = read_proc_file(std::string("/proc/self/task/") + task->d_name + "/children");
            const char* at = list.c_str();
            char* end = nullptr;
            for (long pid = std::strtol(at, &end, 10); end != at; pid = std::strtol(at, &end, 10)) {
                children.push_back(static_cast<pid_t>(pid));
                at = end;
            }
        }
        closedir(tasks);
    }
    for (pid_t pid : children) {
        if (pid <= 0 || by_pid_.count(pid)) continue;
        // A zombie's environ reads empty: it is reaped, not killed.
        std::string environment = read_proc_file("/proc/" + std::to_string(pid) + "/environ");
        std::size_t at = 0;
        std::string name;
        while (at < environment.size()) {
            std::size_t end = environment.find('\0', at);
            if (end == std::string::npos) end = environment.size();
            if (environment.compare(at, kTag.size(), kTag) == 0)
                name = environment.substr(at + kTag.size(), end - at - kTag.size());
            at = end + 1;
        }
        if (name.empty() || !names.count(name)) continue;
        spdlog::warn("{}: pid {} escaped its process group; killing it with the program", name, pid);
        kill(pid, SIGKILL);
        kill(-pid, SIGKILL); // and its own group, if it leads one
    }
}

void Supervisor::reap_children() {
    std::set<std::string> exited;
    for (;;) {
        int status = 0;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid <= 0) break;
        if (probes_->reaped(pid, status)) continue;
        auto found = by_pid_.find(pid);
        if (found == by_pid_.end()) continue; // an orphan we adopted as subreaper
        Program* program = found->second;
        by_pid_.erase(found);
        if (state_file_) state_file_->remove(pid);
        // Whatever the leader left in its group goes with it: orphaned nginx
        // workers would otherwise keep serving from a held socket.
        kill(-pid, SIGKILL);
        spdlog::info("{}: pid {} {}", program->name(), pid, process::describe_wait_status(status));
        exited.insert(program->name());
        program->on_exit(status);
    }
    if (!exited.empty()) sweep_orphans(exited);
    settle();
}

} // namespace svd::runtime
