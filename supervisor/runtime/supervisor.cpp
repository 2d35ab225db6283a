#include "runtime/supervisor.h"

#include "probes/probes.h"
#include "runtime/remnants.h"
#include "sockets/sockets.h"
#include "watch/file_watch.h"

#include <algorithm>
#include <cerrno>
#include <spdlog/spdlog.h>
#include <unistd.h>
#include <utility>

extern char** environ;

namespace svd::runtime {

using plan::Action;
using plan::JobType;
using process::Program;
using process::State;

Supervisor::Supervisor(uv_loop_t* loop, config::Config config)
    : loop_(loop), config_(std::move(config)), graph_(config_), born_(process::Clock::now()) {
    for (char** entry = environ; entry && *entry; ++entry) base_environment_.emplace_back(*entry);
    for (const auto& spec : config_.programs) add_slot(spec);
    probes_ = std::make_unique<Probes>(loop_, *this);
    sockets_ = std::make_unique<Sockets>(loop_, [this](const std::string& name) { start({name}, nullptr); });
    file_watch_ = std::make_unique<FileWatch>(
        loop_, watch::WatchReactions{[this] { update_from_disk({}, true); },
                                     [this](const std::string& name, const std::string& what) {
                                         restart_for_watch(name, what);
                                     }});
    remnants_ = std::make_unique<Remnants>(loop_);
    remnants_->on_empty = [this] { request_settle(); };
    uv_idle_init(loop_, settle_soon_.make());
    settle_soon_->data = this;
}

Supervisor::~Supervisor() = default;

Slot& Supervisor::add_slot(const config::Program& spec) {
    Slot& slot = slots_[spec.name];
    slot.owner = this;
    slot.program = std::make_unique<Program>(spec, *this);
    slot.output.reset(new logs::ProgramOutput(loop_, spec.name, config_.svd.log_dir, spec.log));
    uv_timer_init(loop_, slot.timer.make());
    slot.timer->data = &slot; // map nodes do not move
    return slot;
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
    for (const auto& [name, slot] : slots_)
        if (slot.job.type == JobType::Remove && !config_.find_program(name)) out.push_back(name);
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

Slot* Supervisor::slot_of(const Program& program) {
    auto found = slots_.find(program.name());
    return found == slots_.end() ? nullptr : &found->second;
}

double Supervisor::uptime_s() const {
    return std::chrono::duration<double>(process::Clock::now() - born_).count();
}

// ---- requests: each becomes a job, merged by plan::merge ------------------

bool Supervisor::ask(const std::string& name, plan::Request request, std::map<std::string, std::string>* refused) {
    auto found = slots_.find(name);
    if (found == slots_.end()) return false;
    plan::Merged merged = plan::merge(found->second.job, request, shutting_down_);
    if (!merged.refused.empty()) {
        spdlog::info("{}: {} not taken: {}", name, request == plan::Request::Start ? "start" : "restart or stop",
                     merged.refused);
        if (refused) (*refused)[name] = merged.refused;
        return false;
    }
    found->second.job = merged.job;
    request_settle();
    return true;
}

/// What a program needs to run first: its requirements that are not up.
static bool needs_starting(const Program* program) {
    return program && !process::has_process(program->state()) && !program->completed();
}

void Supervisor::start(const std::vector<std::string>& names, std::function<void(std::vector<Outcome>)> done) {
    std::map<std::string, std::string> refused;
    for (const auto& name : names) {
        for (const auto& dependency : graph_.dependencies_of(name))
            if (needs_starting(find(dependency))) ask(dependency, plan::Request::Start);
        ask(name, plan::Request::Start, &refused);
    }
    if (done) waiters_.push_back({Goal::Up, names, std::move(done), std::move(refused)});
    request_settle();
}

void Supervisor::stop(const std::vector<std::string>& names, std::function<void(std::vector<Outcome>)> done,
                      std::vector<std::string>* also) {
    std::set<std::string> requested(names.begin(), names.end());
    std::vector<std::string> cascade;
    for (const auto& name : names)
        for (const auto& dependent : graph_.dependents_of(name)) {
            auto found = slots_.find(dependent);
            if (found == slots_.end() || requested.count(dependent)) continue;
            const Slot& slot = found->second;
            State state = slot.program->state();
            bool active = process::has_process(state) || state == State::Backoff || state == State::Waiting ||
                          slot.job.starts();
            bool already = slot.job.type == JobType::Stop || slot.job.type == JobType::Remove;
            if (active && !already && std::find(cascade.begin(), cascade.end(), dependent) == cascade.end())
                cascade.push_back(dependent);
            ask(dependent, plan::Request::Stop);
        }
    for (const auto& name : names) ask(name, plan::Request::Stop);
    if (also) *also = cascade;
    if (done) {
        std::vector<std::string> all = names;
        all.insert(all.end(), cascade.begin(), cascade.end());
        waiters_.push_back({Goal::Down, all, std::move(done)});
    }
    request_settle();
}

void Supervisor::restart(const std::vector<std::string>& names, std::function<void(std::vector<Outcome>)> done) {
    std::map<std::string, std::string> refused;
    for (const auto& name : names) {
        if (!find(name)) continue;
        for (const auto& dependency : graph_.dependencies_of(name))
            if (needs_starting(find(dependency))) ask(dependency, plan::Request::Start);
        if (ask(name, plan::Request::Restart, &refused)) make_followers_follow(name);
    }
    if (done) waiters_.push_back({Goal::Up, names, std::move(done), std::move(refused)});
    request_settle();
}

void Supervisor::wait_for(const std::vector<std::string>& names, std::function<void(std::vector<Outcome>)> done) {
    waiters_.push_back({Goal::Up, names, std::move(done)});
    request_settle();
}

void Supervisor::make_followers_follow(const std::string& name) {
    for (const auto& follower : graph_.followers_of(name)) {
        auto found = slots_.find(follower);
        if (found == slots_.end()) continue;
        const Slot& slot = found->second;
        State state = slot.program->state();
        if (!process::has_process(state) && state != State::Backoff) continue;
        if (slot.job.stops()) continue; // already restarting, or stopped for good
        if (ask(follower, plan::Request::Restart))
            spdlog::info("{}: restarting because it requires {}, which is restarting", follower, name);
    }
}

void Supervisor::shutdown(std::function<void()> done) {
    shutting_down_ = true;
    shutdown_done_ = std::move(done);
    for (auto& [name, slot] : slots_) ask(name, plan::Request::Stop);
    request_settle();
}

void Supervisor::start_boot_programs(const std::set<std::string>& adopted) {
    std::vector<std::string> boot;
    for (const auto& spec : config_.programs) {
        // On-demand programs are armed now (the plan waits for the first connection).
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

// ---- carrying out the plan ----------------------------------------------

void Supervisor::request_settle() {
    if (!settle_soon_ || uv_is_active(settle_soon_.base())) return;
    // An active idle handle makes the loop poll without blocking, so the
    // settle runs in this loop turn or the next, and never while idle.
    uv_idle_start(settle_soon_.get(), [](uv_idle_t* idle) {
        uv_idle_stop(idle);
        if (auto* self = static_cast<Supervisor*>(idle->data)) self->settle();
    });
}

plan::Views Supervisor::views() const {
    plan::Views views;
    for (const auto& [name, slot] : slots_) {
        const Program& program = *slot.program;
        plan::ProgramView& view = views[name];
        view.state = program.state();
        view.ready = program.ready();
        view.healthy = program.healthy();
        view.has_health_check = program.spec().health.kind != config::Probe::Kind::None;
        view.completed = program.completed();
        view.message = program.message();
        view.job = slot.job;
        view.on_demand = program.spec().start == config::StartMode::OnDemand;
        view.demand_seen = sockets_->demand_seen(name);
        view.armed = sockets_->armed(name);
    }
    return views;
}

void Supervisor::carry_out(const Action& action) {
    auto found = slots_.find(action.name);
    if (found == slots_.end()) return;
    Slot& slot = found->second;
    Program& program = *slot.program;
    switch (action.kind) {
    case Action::Kind::Stop:
        slot.job.stop_sent = true;
        program.stop();
        if (slot.job.type != JobType::Restart) sockets_->program_stopped(program);
        break;
    case Action::Kind::StopDone:
        slot.job = {};
        break;
    case Action::Kind::Relaunch:
        program.count_restart();
        slot.job = {JobType::Start, false};
        break;
    case Action::Kind::Start:
        slot.job = {};
        program.start(std::exchange(slot.start_note, {}));
        break;
    case Action::Kind::ArmOnDemand:
        slot.job = {};
        sockets_->arm_on_demand(program);
        break;
    case Action::Kind::Wait:
        program.wait(action.reason);
        break;
    case Action::Kind::GiveUp:
        slot.job = {};
        program.wait(action.reason);
        break;
    case Action::Kind::Forget:
        spdlog::info("{}: forgotten", action.name);
        slots_.erase(found); // the slot's destructor closes its timer and output
        break;
    }
}

void Supervisor::settle() {
    if (settling_) return;
    settling_ = true;
    for (;;) {
        std::vector<Action> actions = plan::next_actions(graph_, views());
        bool progress = false;
        for (const Action& action : actions) {
            carry_out(action);
            progress = progress || action.kind != Action::Kind::Wait;
        }
        if (!progress) break;
    }
    // Replies for requests that reached their verdict.
    plan::Views now = views();
    for (std::size_t i = 0; i < waiters_.size();) {
        std::vector<Outcome> outcomes;
        bool all = true;
        for (const auto& name : waiters_[i].names) {
            if (auto refusal = waiters_[i].refused.find(name); refusal != waiters_[i].refused.end()) {
                Program* program = find(name);
                outcomes.push_back({name, false, program ? process::to_string(program->state()) : "",
                                    "not done: " + refusal->second});
                continue;
            }
            auto outcome = plan::verdict(graph_, now, waiters_[i].goal, name);
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
    if (shutting_down_ && shutdown_done_ && plan::all_down(views()) && remnants_ended()) {
        auto done = std::move(shutdown_done_);
        shutdown_done_ = nullptr;
        done();
    }
}

} // namespace svd::runtime
