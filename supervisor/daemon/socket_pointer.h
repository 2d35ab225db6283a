// Where a running svd's control socket is, recorded outside its config.
//
// svctl normally learns the socket from [svd].socket of the config; that
// fails exactly when the user most needs svctl: the config on disk has a
// TOML error, or its socket line was edited while svd still listens on the
// old one. So svd writes a small pointer file, keyed by the real path of
// its main config, in a per-user directory that does not depend on the
// config: $XDG_RUNTIME_DIR/svd/ (private, tmpfs, gone at logout like the
// svd it describes), else $XDG_CACHE_HOME/svd/run/ (~/.cache/svd/run/) for
// sessions without a runtime dir (cron, su). svctl reads it before parsing
// anything; a stale pointer only costs a failed connect.
#pragma once

#include <optional>
#include <string>

namespace svd::daemon {

/// The pointer file for the config at `config_path` (any spelling: it is
/// keyed by the real path); empty when the config does not exist or the
/// user has neither a runtime dir nor a home.
std::string socket_pointer_path(const std::string& config_path);

/// Records that svd for `config_path` listens on `socket` (written to a
/// temporary file and renamed, so a reader never sees half of it).
[[nodiscard]] bool write_socket_pointer(const std::string& config_path, const std::string& socket,
                                        std::string& error);

/// Removes the pointer when it still names `socket` (a later svd for the
/// same config may have replaced it).
void remove_socket_pointer(const std::string& config_path, const std::string& socket);

/// The socket recorded for `config_path`; nullopt when there is none or it
/// was written for another config (a hash collision).
std::optional<std::string> read_socket_pointer(const std::string& config_path);

} // namespace svd::daemon
