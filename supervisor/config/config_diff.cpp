#include "config/config_diff.h"

#include <algorithm>
#include <set>

namespace svd::config {
namespace {

bool same_probe(const config::Probe& a, const config::Probe& b) {
    return a.kind == b.kind && a.target == b.target && a.exec_argv == b.exec_argv && a.delay == b.delay &&
           a.timeout == b.timeout && a.interval == b.interval && a.retries == b.retries;
}

/// The dependencies of one kind agree, in the order written.
bool same_dependencies(const std::vector<config::Dependency>& a, const std::vector<config::Dependency>& b,
                       config::DependencyKind kind) {
    auto of_kind = [kind](const std::vector<config::Dependency>& all) {
        std::vector<std::pair<std::string, config::Condition>> out;
        for (const auto& dependency : all)
            if (dependency.kind == kind) out.emplace_back(dependency.name, dependency.condition);
        return out;
    };
    return of_kind(a) == of_kind(b);
}

} // namespace

bool key_needs_restart(const std::string& key) {
    static const std::set<std::string> spawn_keys = {"type",    "command",         "directory", "environment",
                                                     "env_file", "sockets",        "socket_protocol",
                                                     "umask",   "log.stderr",      "socket"};
    return spawn_keys.count(key) > 0;
}

std::vector<std::string> changed_keys(const config::Program& a, const config::Program& b) {
    std::vector<std::string> keys;
    auto check = [&](bool same, const char* key) {
        if (!same) keys.emplace_back(key);
    };
    check(a.type == b.type, "type");
    check(a.argv == b.argv, "command");
    check(a.directory == b.directory, "directory");
    check(a.environment == b.environment, "environment");
    check(a.env_file == b.env_file, "env_file");
    check(a.sockets == b.sockets, "sockets");
    check(a.socket_protocol == b.socket_protocol, "socket_protocol");
    check(a.start == b.start, "start");
    check(same_dependencies(a.dependencies, b.dependencies, config::DependencyKind::Requires), "requires");
    check(same_dependencies(a.dependencies, b.dependencies, config::DependencyKind::After), "after");
    check(same_probe(a.ready, b.ready), "ready");
    check(same_probe(a.health, b.health), "health");
    check(a.restart == b.restart, "restart");
    check(a.exit_codes == b.exit_codes, "exit_codes");
    check(a.backoff.initial == b.backoff.initial && a.backoff.max == b.backoff.max &&
              a.backoff.retries == b.backoff.retries,
          "backoff");
    check(a.crash_limit.count == b.crash_limit.count && a.crash_limit.within == b.crash_limit.within,
          "crash_limit");
    check(a.stop_signal == b.stop_signal, "stop_signal");
    check(a.stop_timeout == b.stop_timeout, "stop_timeout");
    check(a.start_grace == b.start_grace, "start_grace");
    check(a.log.max_size == b.log.max_size, "log.max_size");
    check(a.log.keep == b.log.keep, "log.keep");
    check(a.log.compress == b.log.compress, "log.compress");
    check(a.log.rotate_every == b.log.rotate_every && a.log.rotate_interval == b.log.rotate_interval,
          "log.rotate_every");
    check(a.log.stderr_mode == b.log.stderr_mode, "log.stderr");
    check(a.log.timestamps == b.log.timestamps, "log.timestamps");
    check(a.creates == b.creates, "creates");
    check(a.umask == b.umask, "umask");
    check(a.watch == b.watch, "watch");
    return keys;
}

ConfigDiff diff_configs(const config::Config& before, const config::Config& after) {
    ConfigDiff diff;
    // Sockets first: a program whose socket changes must be restarted on it.
    std::set<std::string> changed_sockets;
    for (const auto& socket : after.sockets) {
        const config::Socket* old = before.find_socket(socket.name);
        if (!old) {
            diff.sockets_added.push_back(socket.name);
            continue;
        }
        SocketChange change{socket.name, {}};
        if (old->listen != socket.listen) change.keys.push_back("listen");
        if (old->mode != socket.mode) change.keys.push_back("mode");
        if (old->backlog != socket.backlog) change.keys.push_back("backlog");
        if (!change.keys.empty()) {
            changed_sockets.insert(socket.name);
            diff.sockets_changed.push_back(change);
        }
    }
    for (const auto& socket : before.sockets)
        if (!after.find_socket(socket.name)) diff.sockets_removed.push_back(socket.name);

    for (const auto& program : after.programs) {
        const config::Program* old = before.find_program(program.name);
        if (!old) {
            diff.added.push_back(program.name);
            continue;
        }
        ProgramChange change{program.name, changed_keys(*old, program), false};
        for (const auto& socket : program.sockets)
            if (changed_sockets.count(socket) &&
                std::find(change.keys.begin(), change.keys.end(), "socket") == change.keys.end())
                change.keys.emplace_back("socket");
        if (change.keys.empty()) continue;
        change.needs_restart = std::any_of(change.keys.begin(), change.keys.end(), key_needs_restart);
        diff.changed.push_back(change);
    }
    for (const auto& program : before.programs)
        if (!after.find_program(program.name)) diff.removed.push_back(program.name);

    auto check = [&](bool same, const char* key) {
        if (!same) diff.daemon_keys.emplace_back(key);
    };
    check(before.svd.home == after.svd.home, "home");
    check(before.svd.log_dir == after.svd.log_dir, "log_dir");
    check(before.svd.run_dir == after.svd.run_dir, "run_dir");
    check(before.svd.socket == after.svd.socket, "socket");
    return diff;
}

bool ConfigDiff::empty() const {
    return added.empty() && changed.empty() && removed.empty() && sockets_added.empty() &&
           sockets_changed.empty() && sockets_removed.empty() && daemon_keys.empty();
}

nlohmann::json ConfigDiff::to_json() const {
    nlohmann::json changed_json = nlohmann::json::array();
    for (const auto& change : changed)
        changed_json.push_back({{"name", change.name}, {"keys", change.keys}, {"restart", change.needs_restart}});
    nlohmann::json sockets_changed_json = nlohmann::json::array();
    for (const auto& change : sockets_changed)
        sockets_changed_json.push_back({{"name", change.name}, {"keys", change.keys}});
    return {{"added", added},
            {"changed", changed_json},
            {"removed", removed},
            {"sockets_added", sockets_added},
            {"sockets_changed", sockets_changed_json},
            {"sockets_removed", sockets_removed},
            {"svd_keys", daemon_keys}};
}

} // namespace svd::config
