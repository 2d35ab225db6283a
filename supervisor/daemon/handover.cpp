#include "daemon/handover.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/mman.h>
#include <unistd.h>

extern char** environ;

namespace svd::daemon {

using nlohmann::json;

namespace {

void set_cloexec(int fd, bool on) {
    if (fd < 0) return;
    int flags = fcntl(fd, F_GETFD);
    if (flags < 0) return;
    fcntl(fd, F_SETFD, on ? (flags | FD_CLOEXEC) : (flags & ~FD_CLOEXEC));
}

int write_memfd(const std::string& text, std::string& error) {
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
    return memfd;
}

std::vector<char*> pointers_to(std::vector<std::string>& args) {
    std::vector<char*> pointers;
    for (auto& arg : args) pointers.push_back(arg.data());
    pointers.push_back(nullptr);
    return pointers;
}

} // namespace

std::vector<int> handed_fds(const json& state) {
    std::vector<int> fds = {state.value("lock_fd", -1), state.value("control_fd", -1), state.value("notify_fd", -1),
                            state.value("fallback_exe_fd", -1)};
    if (state.contains("sockets"))
        for (const auto& [name, fd] : state["sockets"].items()) fds.push_back(fd.get<int>());
    if (state.contains("programs"))
        for (const auto& program : state["programs"])
            for (const auto& fd : program["pipes"]) fds.push_back(fd.get<int>());
    if (state.contains("remnants"))
        for (const auto& remnant : state["remnants"])
            for (const auto& fd : remnant["fds"]) fds.push_back(fd.get<int>());
    if (state.contains("clients"))
        for (const auto& client : state["clients"]) fds.push_back(client.value("fd", -1));
    return fds;
}

int prepare_handover(const json& state, std::string& error) {
    int memfd = write_memfd(state.dump(), error);
    if (memfd < 0) return -1;
    for (int fd : handed_fds(state)) set_cloexec(fd, false);
    return memfd;
}

void abandon_handover(const json& state, int state_fd) {
    for (int fd : handed_fds(state)) set_cloexec(fd, true);
    if (state_fd >= 0) close(state_fd);
}

std::vector<std::string> reexec_arguments(const std::string& binary, const std::vector<std::string>& argv,
                                          int state_fd) {
    std::vector<std::string> args{binary};
    for (std::size_t i = 1; i < argv.size(); ++i) {
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
    return args;
}

void reexec(const std::string& binary, const std::vector<std::string>& argv, int state_fd, std::string& error) {
    std::vector<std::string> args = reexec_arguments(binary, argv, state_fd);
    std::vector<char*> pointers = pointers_to(args);
    spdlog::info("reload: re-executing {}", binary);
    spdlog::default_logger()->flush();
    execv(binary.c_str(), pointers.data());
    error = "cannot execute " + binary + ": " + std::strerror(errno);
}

void fall_back(json state, const std::string& why, std::string& error) {
    const int exe_fd = state.value("fallback_exe_fd", -1);
    if (exe_fd < 0 || !state.contains("argv")) {
        error = "no earlier image to fall back to";
        return;
    }
    state["reload_error"] = why;
    state["fallback_exe_fd"] = -1; // the old image runs from it now
    int state_fd = prepare_handover(state, error);
    if (state_fd < 0) return;
    std::vector<std::string> argv = state["argv"].get<std::vector<std::string>>();
    std::vector<std::string> args = reexec_arguments(argv.empty() ? "svd" : argv[0], argv, state_fd);
    std::vector<char*> pointers = pointers_to(args);
    execveat(exe_fd, "", pointers.data(), environ, AT_EMPTY_PATH);
    error = std::string("cannot re-execute the previous svd: ") + std::strerror(errno);
    close(state_fd);
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
