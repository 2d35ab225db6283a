// What changed between the running config and the one on disk, for
// `svctl reread` (print) and `svctl update` (apply). Keys are classified:
// a change to what the process is spawned with (command, environment,
// directory, sockets, ...) needs a restart; a change to policy (restart,
// backoff, probes, log limits, requires, ...) is applied to the running
// program without touching it, so a typo fix in `backoff` never bounces
// PostgreSQL.
#pragma once

#include "config/model.h"

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace svd::config {

struct ProgramChange {
    std::string name;
    std::vector<std::string> keys; ///< config keys that differ, e.g. "command", "log.max_size"
    bool needs_restart = false;
};

struct SocketChange {
    std::string name;
    std::vector<std::string> keys;
};

struct ConfigDiff {
    std::vector<std::string> added;
    std::vector<ProgramChange> changed;
    std::vector<std::string> removed;
    std::vector<std::string> sockets_added;
    std::vector<SocketChange> sockets_changed;
    std::vector<std::string> sockets_removed;
    /// [svd] keys that differ; they take effect only when svd itself restarts.
    std::vector<std::string> daemon_keys;
    bool empty() const;
    nlohmann::json to_json() const;
};

/// Keys of a program that differ between `before` and `after`.
std::vector<std::string> changed_keys(const config::Program& before, const config::Program& after);
/// True when a change to `key` only takes effect in a new process.
bool key_needs_restart(const std::string& key);

ConfigDiff diff_configs(const config::Config& before, const config::Config& after);

} // namespace svd::config
