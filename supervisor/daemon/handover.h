// svctl reload: svd re-executes itself (a new binary after an upgrade)
// without its programs noticing. The process id stays the same across
// execve, so the programs remain svd's children; what must survive is
// passed on explicitly:
//   - file descriptors, kept open by clearing FD_CLOEXEC: the tree lock, the
//     control socket, the sd_notify socket, every held listening socket, and
//     both ends of every program's output pipes;
//   - state, as JSON in a memfd whose number is given to the new image as
//     `--adopt-state FD`: each program's state, pid, counters and times (the
//     monotonic clock continues across exec).
// Children that exit during the exec stay zombies until the new image reaps
// them, so no exit is lost. If execve fails, the old image restores
// FD_CLOEXEC and keeps running.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace svd::daemon {

}
namespace svd::runtime {
class Supervisor;
}
namespace svd::daemon {
using runtime::Supervisor;

/// Bumped when the state JSON changes incompatibly.
inline constexpr int kHandoverVersion = 1;

struct HandoverFds {
    int lock = -1;
    int control = -1;
};

/// Writes the state into a memfd (without CLOEXEC, so it survives exec) and
/// clears FD_CLOEXEC on every fd the new image needs. Returns the memfd, or
/// -1 with `error`.
[[nodiscard]] int prepare_handover(Supervisor& supervisor, const HandoverFds& fds, bool log_to_file, std::string& error);
/// Sets FD_CLOEXEC again on what prepare_handover opened up (exec failed).
void abandon_handover(Supervisor& supervisor, const HandoverFds& fds, int state_fd);
/// execve of /proc/self/exe with `argv` (minus --daemon) and --adopt-state.
/// Returns only when it failed, with `error`.
void reexec(const std::vector<std::string>& argv, int state_fd, std::string& error);
/// Reads (and closes) the state the old image left in `fd`.
[[nodiscard]] std::optional<nlohmann::json> read_handover(int fd, std::string& error);

} // namespace svd::daemon
