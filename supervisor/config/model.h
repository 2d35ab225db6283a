// The validated configuration: what svd.toml and its drop-ins mean, after
// expansion and checking. Every value a user may get wrong carries the
// file:line:column it came from, so later stages (the dependency plan, socket
// binding) can still point at the user's text.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace svd::config {

using Millis = std::chrono::milliseconds;

/// Where a value was written. `file` is the path as svd opened it.
struct Location {
    std::string file;
    int line = 0;
    int column = 0;
    /// "file:line:column", or just "file" when line is unknown.
    std::string str() const;
};

enum class ProgramType { Longrun, Oneshot };
enum class RestartPolicy { Always, OnFailure, Never };
enum class StartMode { Boot, OnDemand, Manual };
enum class SocketProtocol { Systemd, Nginx };
enum class Condition { Started, Ready, Healthy, Completed };
enum class StderrMode { Merge, Separate, Discard };
/// Interval: every `LogOptions::rotate_interval` from when the file was opened.
enum class RotateEvery { Never, Hourly, Daily, Interval };

const char* to_string(ProgramType);
const char* to_string(RestartPolicy);
const char* to_string(StartMode);
const char* to_string(SocketProtocol);
const char* to_string(Condition);
const char* to_string(StderrMode);
const char* to_string(RotateEvery);

/// Where a tcp or http probe connects, parsed from its target at load, so
/// the runtime never meets an address it cannot use.
struct ProbeEndpoint {
    enum class Family { V4, V6 };
    Family family = Family::V4;
    std::string host;        ///< numeric ("127.0.0.1", "::1"), IPv6 without brackets
    int port = 0;            ///< 1..65535
    std::string path = "/";  ///< http: path and query, as written
    std::string host_header; ///< http: the URL's authority, as written ("localhost:8080")
};

/// A readiness or health probe. Kind None means "not configured".
struct Probe {
    enum class Kind { None, Tcp, Http, Exec, Notify, Delay };
    Kind kind = Kind::None;
    std::string target;                 ///< tcp: "host:port"; http: URL (as written, after expansion)
    ProbeEndpoint endpoint;             ///< tcp, http: `target` parsed
    std::vector<std::string> exec_argv; ///< exec: the command, split
    Millis delay{0};                    ///< delay: how long to wait
    Millis timeout{30000};              ///< readiness: give up after; health: per probe
    Millis interval{10000};             ///< health only
    int retries = 3;                    ///< health only: failures in a row before unhealthy
    Location where;
};
const char* to_string(Probe::Kind);

/// `requires`: start NAME first, wait for the condition, stop (and, for
/// ready or healthy, restart) with it. `after`: order only; wait for the
/// condition when both are starting, never start, stop or restart because
/// of NAME (a proxy whose socket svd holds needs its upstream only to answer).
enum class DependencyKind { Requires, After };
const char* to_string(DependencyKind);

struct Dependency {
    std::string name;
    Condition condition = Condition::Ready;
    Location where;
    DependencyKind kind = DependencyKind::Requires;
};

struct Backoff {
    Millis initial{1000};
    Millis max{60000};
    int retries = 5; ///< failed starts in a row before FATAL
};

/// Restarts of a program that got past its start, counted in a sliding
/// window: `count` of them within `within` make it FATAL. Backoff alone never
/// ends a crash loop of runs that each got past start_grace.
struct CrashLimit {
    int count = 10;
    Millis within{60000};
};

struct LogOptions {
    std::uint64_t max_size = 50ull * 1024 * 1024;
    int keep = 10;
    bool compress = false;
    RotateEvery rotate_every = RotateEvery::Never;
    Millis rotate_interval{0}; ///< with RotateEvery::Interval (rotate_every = "10m")
    StderrMode stderr_mode = StderrMode::Merge;
    bool timestamps = false;
};

struct Program {
    std::string name;
    Location where; ///< the [program.NAME] header
    ProgramType type = ProgramType::Longrun;
    std::vector<std::string> argv; ///< argv[0] is the executable (path or name looked up in PATH)
    Location command_where;
    // Paths below are absolute; relative ones in the config are taken from ${home}.
    std::string directory;                       ///< empty: svd's home
    std::map<std::string, std::string> environment;
    std::string env_file;
    std::vector<std::string> sockets;
    Location sockets_where;
    SocketProtocol socket_protocol = SocketProtocol::Systemd;
    StartMode start = StartMode::Boot;
    /// `requires = { NAME = "CONDITION" }` then `after = { ... }`, each in
    /// the order written. (Not named `requires`: that is a C++20 keyword.)
    std::vector<Dependency> dependencies;
    Probe ready;
    Probe health;
    RestartPolicy restart = RestartPolicy::OnFailure;
    std::vector<int> exit_codes{0}; ///< exits that count as success
    Backoff backoff;
    CrashLimit crash_limit;
    int stop_signal = 15; ///< SIGTERM
    Millis stop_timeout{10000};
    /// Without a `ready` probe, a program counts as started successfully
    /// (RUNNING, ready) once it has stayed up this long; like supervisord's startsecs.
    Millis start_grace{1000};
    LogOptions log;
    std::string creates; ///< oneshot: skipped when this path exists
    std::optional<mode_t> umask;
    std::vector<std::string> watch;
};

struct Socket {
    enum class Kind { Tcp, Unix };
    std::string name;
    Location where;
    std::string listen; ///< as written (after expansion)
    Kind kind = Kind::Tcp;
    std::string host;   ///< tcp: numeric address, without brackets for IPv6
    int port = 0;       ///< tcp
    std::string path;   ///< unix
    mode_t mode = 0600; ///< unix
    int backlog = 128;
};

struct DaemonSettings {
    std::string home;
    std::string prefix = "/usr";
    std::string log_dir;
    std::string run_dir;
    std::string socket;
    std::vector<std::string> include; ///< glob patterns, expanded and absolute
    /// `vars = { NAME = "value" }`: the user's own ${NAME}, expanded.
    std::map<std::string, std::string> vars;
    bool watch_config = false;
    /// Control connections at once; one more gets a "too many clients"
    /// reply. Idle clients must not use up the fds programs need to start.
    int max_clients = 1024;
};

struct Config {
    std::string file; ///< the main svd.toml, absolute
    std::string profile; ///< the [profile.*] applied, empty for none
    /// Every file read, absolute: the main one first, then the drop-ins in
    /// the order loaded (for watch_config and for listing what was read).
    std::vector<std::string> files;
    DaemonSettings svd;
    std::vector<Program> programs;    ///< in the order they were written
    std::vector<Socket> sockets;
    const Program* find_program(const std::string& name) const;
    const Socket* find_socket(const std::string& name) const;
};

struct ConfigError {
    Location where;
    std::string message;
    /// "file:line:col: error: message"
    std::string str() const;
};

struct LoadResult {
    std::optional<Config> config; ///< set only when errors is empty
    std::vector<ConfigError> errors;
    /// The control socket path, even when a drop-in has errors, as long as
    /// [svd] itself could be read: svctl still finds svd to report them.
    std::string socket;
};

/// Reads `path` and every file it includes, expands variables and checks
/// everything it can without touching the system (no sockets bound, no
/// processes started). Never throws for bad input.
/// With `profile` non-empty, [profile.NAME] is applied over the base config
/// (an unknown profile is an error).
LoadResult load_config(const std::string& path, const std::string& profile = {});

/// Only what svctl needs to reach svd: the main file's [svd] table (with the
/// profile's vars), no drop-ins, no programs. `socket` is set unless that
/// part has errors; then `errors` says why. A 1,000-program config costs
/// svctl a TOML parse, not a full check, on every command.
LoadResult load_control_socket(const std::string& path, const std::string& profile = {});

/// The config path used when none is given: $SVD_CONFIG, then
/// $XDG_CONFIG_HOME/svd/svd.toml, then ~/.config/svd/svd.toml.
std::string default_config_path();

} // namespace svd::config
