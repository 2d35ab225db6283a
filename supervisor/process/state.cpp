#include "process/state.h"

#include <array>
#include <cstring>
#include <sys/wait.h>

namespace svd::process {

namespace {
constexpr std::array<const char*, 8> kNames = {"STOPPED", "WAITING", "STARTING", "RUNNING",
                                              "BACKOFF", "STOPPING", "EXITED",  "FATAL"};
}

const char* to_string(State state) { return kNames[static_cast<std::size_t>(state)]; }

std::optional<State> state_from_string(const std::string& text) {
    for (std::size_t i = 0; i < kNames.size(); ++i)
        if (text == kNames[i]) return static_cast<State>(i);
    return std::nullopt;
}

bool has_process(State state) {
    return state == State::Starting || state == State::Running || state == State::Stopping;
}

std::string describe_wait_status(int wait_status) {
    if (WIFEXITED(wait_status)) return "exit status " + std::to_string(WEXITSTATUS(wait_status));
    if (WIFSIGNALED(wait_status)) {
        int sig = WTERMSIG(wait_status);
        const char* abbrev = sigabbrev_np(sig);
        std::string text = "killed by signal " + std::to_string(sig);
        if (abbrev) text += std::string(" (") + abbrev + ")";
        if (WCOREDUMP(wait_status)) text += ", core dumped";
        return text;
    }
    return "wait status " + std::to_string(wait_status);
}

} // namespace svd::process
