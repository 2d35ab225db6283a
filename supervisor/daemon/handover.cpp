#include "daemon/handover.h"
#include "probes/probes.h"
#include "sockets/sockets.h"
#include "daemon/state_file.h"
#include "runtime/supervisor.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/mman.h>
#include <unistd.h>

namespace svd::daemon {

using nlohmann::json;

namespace {

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
    // Checked without value<int>(), which throws on a "version" of another type.
    const bool understood = !state.is_discarded() && state.is_object() && state.contains("version") &&
                            state["version"].is_number_integer() && state["version"].get<long long>() == kHandoverVersion;
    if (!understood) {
        error = "the handover state is not one this svd understands";
        return std::nullopt;
    }
    return state;
}

} // namespace svd::daemon
