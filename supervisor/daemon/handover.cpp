#include "daemon/handover.h"
#include "daemon/probes.h"
#include "daemon/sockets.h"
#include "daemon/state_file.h"
#include "daemon/supervisor.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/mman.h>
#include <unistd.h>

namespace svd::daemon {

using nlohmann::json;

namespace {

constexpr int kHandoverVersion = 1;

long long ticks(process::Clock::time_point when) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(when.time_since_epoch()).count();
}

process::Clock::time_point from_ticks(long long value) {
    return process::Clock::time_point(std::chrono::duration_cast<process::Clock::duration>(std::chrono::nanoseconds(value)));
}

void set_cloexec(int fd, bool on) {
    if (fd < 0) return;
    int flags = fcntl(fd, F_GETFD);
    if (flags < 0) return;
    fcntl(fd, F_SETFD, on ? (flags | FD_CLOEXEC) : (flags & ~FD_CLOEXEC));
}

/// Every fd the new image takes over, from the state JSON.
std::vector<int> handed_fds(const json& state) {
    std::vector<int> fds = {state.value("lock_fd", -1), state.value("control_fd", -1), state.value("notify_fd", -1)};
    for (const auto& [name, fd] : state["sockets"].items()) fds.push_back(fd.get<int>());
    for (const auto& program : state["programs"])
        for (const auto& fd : program["pipes"]) fds.push_back(fd.get<int>());
    return fds;
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
                   {"pipes", {pipes[0], pipes[1], pipes[2], pipes[3]}}};
        entry["last_wait_status"] = snapshot.last_wait_status ? json(*snapshot.last_wait_status) : json(nullptr);
        programs.push_back(entry);
    }
    json sockets = json::object();
    for (const auto& [name, fd] : sockets_->held_fds()) sockets[name] = fd;
    return {{"version", kHandoverVersion}, {"programs", programs}, {"sockets", sockets},
            {"notify_fd", probes_->notify_fd()}, {"born", ticks(born_)}};
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
    for (const auto& entry : state["programs"]) {
        std::string name = entry["name"].get<std::string>();
        pid_t pid = entry.value("pid", 0);
        auto found = slots_.find(name);
        if (found == slots_.end()) {
            // Removed from the config while svd re-executed: stop it for good.
            if (pid > 0) {
                spdlog::warn("{}: no longer in the config; stopping pid {}", name, pid);
                kill(-pid, SIGTERM);
            }
            for (const auto& fd : entry["pipes"])
                if (fd.get<int>() >= 0) close(fd.get<int>());
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

int prepare_handover(Supervisor& supervisor, const HandoverFds& fds, bool log_to_file, std::string& error) {
    json state = supervisor.export_state();
    state["lock_fd"] = fds.lock;
    state["control_fd"] = fds.control;
    state["log_to_file"] = log_to_file;
    std::string text = state.dump();
    int memfd = memfd_create("svd-handover", 0); // no MFD_CLOEXEC: it must reach the new image
    if (memfd < 0) {
        error = std::string("memfd_create: ") + std::strerror(errno);
        return -1;
    }
    std::size_t written = 0;
    while (written < text.size()) {
        ssize_t n = write(memfd, text.data() + written, text.size() - written);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            error = std::string("writing the handover state: ") + std::strerror(errno);
            close(memfd);
            return -1;
        }
        written += static_cast<std::size_t>(n);
    }
    lseek(memfd, 0, SEEK_SET);
    for (int fd : handed_fds(state)) set_cloexec(fd, false);
    return memfd;
}

void abandon_handover(Supervisor& supervisor, const HandoverFds& fds, int state_fd) {
    json state = supervisor.export_state();
    state["lock_fd"] = fds.lock;
    state["control_fd"] = fds.control;
    for (int fd : handed_fds(state)) set_cloexec(fd, true);
    if (state_fd >= 0) close(state_fd);
}

void reexec(const std::vector<std::string>& argv, int state_fd, std::string& error) {
    std::vector<std::string> args;
    for (std::size_t i = 0; i < argv.size(); ++i) {
        const std::string& arg = argv[i];
        if (arg == "--daemon" || arg == "-d") continue; // already detached
        if (arg == "--adopt-state") {
            ++i; // an earlier reload's
            continue;
        }
        args.push_back(arg);
    }
    args.push_back("--adopt-state");
    args.push_back(std::to_string(state_fd));
    std::vector<char*> pointers;
    for (auto& arg : args) pointers.push_back(arg.data());
    pointers.push_back(nullptr);
    spdlog::info("reload: re-executing {}", "/proc/self/exe");
    spdlog::default_logger()->flush();
    execv("/proc/self/exe", pointers.data());
    error = std::string("execv /proc/self/exe: ") + std::strerror(errno);
}

std::optional<json> read_handover(int fd, std::string& error) {
    std::string text;
    char buffer[65536];
    for (;;) {
        ssize_t n = read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            error = std::string("reading the handover state: ") + std::strerror(errno);
            close(fd);
            return std::nullopt;
        }
        if (n == 0) break;
        text.append(buffer, static_cast<std::size_t>(n));
    }
    close(fd);
    json state = json::parse(text, nullptr, false);
    if (state.is_discarded() || !state.is_object() || state.value("version", 0) != kHandoverVersion) {
        error = "the handover state is not one this svd understands";
        return std::nullopt;
    }
    return state;
}

} // namespace svd::daemon
