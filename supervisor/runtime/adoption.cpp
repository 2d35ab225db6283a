// Supervisor: what crosses `svctl reload` (see daemon/handover.h for the
// exec itself): each program's state and the fds it owns, exported by the
// old image and adopted by the new one.
#include "daemon/handover.h"
#include "daemon/state_file.h"
#include "probes/probes.h"
#include "runtime/remnants.h"
#include "runtime/supervisor.h"
#include "sockets/sockets.h"

#include <spdlog/spdlog.h>

namespace svd::runtime {

using daemon::kHandoverVersion;
using nlohmann::json;

namespace {

long long ticks(process::Clock::time_point when) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(when.time_since_epoch()).count();
}

process::Clock::time_point from_ticks(long long value) {
    return process::Clock::time_point(std::chrono::duration_cast<process::Clock::duration>(std::chrono::nanoseconds(value)));
}

} // namespace

json Supervisor::export_state() const {
    json programs = json::array();
    for (const auto& [name, slot] : slots_) {
        process::Program::Adopted snapshot = slot.program->snapshot();
        auto pipes = slot.output->pipe_fds();
        json entry{{"name", name},
                   {"state", process::to_string(snapshot.state)},
                   {"pid", snapshot.pid},
                   {"message", snapshot.message},
                   {"ready", snapshot.ready},
                   {"completed", snapshot.completed},
                   {"restarts", snapshot.restarts},
                   {"failed_starts", snapshot.failed_starts},
                   {"started_at", ticks(snapshot.started_at)},
                   {"state_since", ticks(snapshot.state_since)},
                   {"pipes", {pipes[0], pipes[1], pipes[2], pipes[3]}},
                   // For the new image to stop it properly if the new config dropped it.
                   {"stop_signal", slot.program->spec().stop_signal},
                   {"stop_timeout_ms", slot.program->spec().stop_timeout.count()}};
        entry["last_wait_status"] = snapshot.last_wait_status ? json(*snapshot.last_wait_status) : json(nullptr);
        programs.push_back(entry);
    }
    json sockets = json::object();
    for (const auto& [name, fd] : sockets_->held_fds()) sockets[name] = fd;
    return {{"version", kHandoverVersion}, {"programs", programs}, {"sockets", sockets},
            {"notify_fd", probes_->notify_fd()}, {"born", ticks(born_)}, {"remnants", remnants_->export_state()}};
}

void Supervisor::adopt_fds(const json& state) {
    std::map<std::string, int> sockets;
    for (const auto& [name, fd] : state["sockets"].items()) sockets[name] = fd.get<int>();
    sockets_->adopt(std::move(sockets));
    probes_->adopt_notify_socket(state.value("notify_fd", -1));
    for (const auto& entry : state["programs"]) {
        std::string name = entry["name"].get<std::string>();
        const auto& pipes = entry["pipes"];
        auto found = slots_.find(name);
        if (found == slots_.end()) {
            // No longer in the config: its pipes are closed once its process is stopped below.
            continue;
        }
        found->second.output->adopt_pipes(pipes[0].get<int>(), pipes[1].get<int>(), pipes[2].get<int>(),
                                          pipes[3].get<int>());
    }
    born_ = from_ticks(state.value("born", ticks(born_)));
}

std::set<std::string> Supervisor::adopt_programs(const json& state) {
    std::set<std::string> adopted;
    // Trees the old image was still ending go on with the time they had left.
    if (state.contains("remnants")) {
        remnants_->adopt(state["remnants"]);
        for (const auto& remnant : state["remnants"])
            if (remnant.value("leader_alive", false) && state_file_)
                state_file_->add(remnant.value("pgid", 0), remnant.value("name", std::string("?")));
    }
    for (const auto& entry : state["programs"]) {
        std::string name = entry["name"].get<std::string>();
        pid_t pid = entry.value("pid", 0);
        auto found = slots_.find(name);
        if (found == slots_.end()) {
            // Removed from the config while svd re-executed: stopped for good,
            // with the stop sequence it had (its pipes stay open until it is gone).
            std::vector<int> pipes;
            for (const auto& fd : entry["pipes"])
                if (fd.get<int>() >= 0) pipes.push_back(fd.get<int>());
            if (pid > 0) {
                if (state_file_) state_file_->add(pid, name);
                remnants_->stop_group(name, pid, entry.value("stop_signal", SIGTERM),
                                      std::chrono::milliseconds(entry.value("stop_timeout_ms", 10000LL)), pipes);
            } else {
                for (int fd : pipes) close(fd);
            }
            continue;
        }
        process::Program::Adopted adopted_state;
        adopted_state.state = process::state_from_string(entry["state"].get<std::string>()).value_or(process::State::Stopped);
        adopted_state.pid = pid;
        adopted_state.message = entry.value("message", std::string());
        adopted_state.ready = entry.value("ready", false);
        adopted_state.completed = entry.value("completed", false);
        if (entry["last_wait_status"].is_number_integer()) adopted_state.last_wait_status = entry["last_wait_status"].get<int>();
        adopted_state.restarts = entry.value("restarts", 0);
        adopted_state.failed_starts = entry.value("failed_starts", 0);
        adopted_state.started_at = from_ticks(entry.value("started_at", 0LL));
        adopted_state.state_since = from_ticks(entry.value("state_since", 0LL));
        if (pid > 0) {
            by_pid_[pid] = found->second.program.get();
            if (state_file_) state_file_->add(pid, name);
        }
        found->second.program->adopt(adopted_state);
        adopted.insert(name);
    }
    return adopted;
}

} // namespace svd::runtime
