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
//   - the clients: the one(s) waiting for the reload's answer, answered by
//     the new image with the version and build id before and after, and
//     every idle connection, so that no request is lost to the exec;
//   - an fd of the old image's own binary (fallback_exe_fd).
// Children that exit during the exec stay zombies until the new image reaps
// them, so no exit is lost. Before the exec the old image has loaded and
// validated the config, bound the sockets it adds and checked the binary;
// if execve fails it restores FD_CLOEXEC and keeps running, and if the new
// image fails after all, it re-executes the old binary (fall_back) with
// the same state.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace svd::daemon {

/// Bumped when the state JSON changes incompatibly.
inline constexpr int kHandoverVersion = 1;

/// Writes `state` into a memfd (without CLOEXEC, so it survives exec) and
/// clears FD_CLOEXEC on every fd it names (handed_fds). Returns the memfd,
/// or -1 with `error`.
[[nodiscard]] int prepare_handover(const nlohmann::json& state, std::string& error);
/// Sets FD_CLOEXEC again on the fds of `state` and closes `state_fd` (exec failed).
void abandon_handover(const nlohmann::json& state, int state_fd);
/// Every fd the state hands to the next image.
std::vector<int> handed_fds(const nlohmann::json& state);
/// `argv` with `binary` as argv[0], without --daemon (already detached) and
/// an earlier --adopt-state, and with --adopt-state `state_fd`.
std::vector<std::string> reexec_arguments(const std::string& binary, const std::vector<std::string>& argv,
                                          int state_fd);
/// execv of `binary`. Returns only when it failed, with `error`.
void reexec(const std::string& binary, const std::vector<std::string>& argv, int state_fd, std::string& error);
/// In a new image that cannot take over (its config, options or sockets
/// failed): re-executes the image it came from (`fallback_exe_fd` of the
/// state, the old binary even when deleted) with the same state and
/// `reload_error` = `why`, so the programs stay supervised and the waiting
/// client learns why. Returns only when that is impossible (no fallback:
/// this already is one), with `error`.
void fall_back(nlohmann::json state, const std::string& why, std::string& error);
/// Reads (and closes) the state the old image left in `fd`.
[[nodiscard]] std::optional<nlohmann::json> read_handover(int fd, std::string& error);

} // namespace svd::daemon
