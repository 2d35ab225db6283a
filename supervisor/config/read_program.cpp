#include "config/read_program.h"
#include "config/limits.h"
#include "config/probe_target.h"
#include "config/units.h"

#include "config/toml_fields.h"
#include "config/suggest.h"

#include <algorithm>
#include <climits>

namespace svd::config {
namespace {

const std::vector<std::string> kProgramKeys = {
    "type",     "command", "directory", "environment", "env_file",   "sockets",     "socket_protocol",
    "start",    "requires", "after", "ready",    "health",      "restart",    "exit_codes",  "backoff",
    "stop_signal", "stop_timeout", "start_grace", "log", "creates",  "umask",       "watch",
    "crash_limit",
};
// Both probes know all keys, so a key of the other one gets a specific message.
const std::vector<std::string> kProbeKeys = {"tcp", "http", "exec", "notify", "delay", "timeout", "interval", "retries"};
const std::vector<std::string> kProbeKinds = {"tcp", "http", "exec", "notify", "delay"};
const std::vector<std::string> kBackoffKeys = {"initial", "max", "retries"};
const std::vector<std::string> kCrashLimitKeys = {"count", "within"};
const std::vector<std::string> kLogKeys = {"max_size", "keep", "compress", "rotate_every", "stderr", "timestamps"};

/// `text` with each NUL shown as \0, for messages.
std::string printable(const std::string& text) {
    std::string out;
    for (char c : text) out += c == '\0' ? std::string("\\0") : std::string(1, c);
    return out;
}

/// Everything reading one program needs, so helpers take one argument.
struct ProgramReader {
    const std::string& name;
    const TableFields& fields;
    const ValueExpander& expander;
    Diagnostics& diag;

    std::string section() const { return "[program." + name + "]"; }

    /// A string value of `key` in `table_fields`, expanded.
    std::optional<std::string> expanded(const TableFields& table_fields, std::string_view key) const {
        auto text = table_fields.string(key);
        if (!text) return std::nullopt;
        return expander.text(*text, table_fields.where(key), table_fields.name(key));
    }

    std::optional<std::string> path(std::string_view key) const {
        auto text = fields.string(key);
        if (!text) return std::nullopt;
        return expander.path(*text, fields.where(key), fields.name(key));
    }

    /// Every word of a command expanded; nullopt if any failed.
    std::optional<std::vector<std::string>> command(const TableFields& table_fields, std::string_view key) const {
        auto argv = table_fields.command(key);
        if (!argv) return std::nullopt;
        bool ok = true;
        for (std::string& word : *argv) {
            auto expanded_word = expander.text(word, table_fields.where(key), table_fields.name(key));
            if (expanded_word) word = std::move(*expanded_word);
            else ok = false;
        }
        if (!ok) return std::nullopt;
        if ((*argv)[0].empty()) {
            table_fields.error(key, "the program to run in '" + table_fields.name(key) + "' is empty");
            return std::nullopt;
        }
        return argv;
    }

    void read_environment(Program& program) const {
        const toml::table* table = fields.subtable("environment");
        if (!table) return;
        for (auto&& [key, value] : *table) {
            std::string variable(key.str());
            Location where = location_of(value.source(), fields.file());
            if (variable.empty() || variable.find_first_of(std::string_view("=\0", 2)) != std::string::npos) {
                diag.error(location_of(key.source(), fields.file()),
                           "invalid environment variable name '" + printable(variable) +
                               "' (it must be non-empty, without '=' or a NUL character)");
                continue;
            }
            auto text = value.value<std::string>();
            if (!text) {
                diag.error(where, type_mismatch("a string", "environment." + variable, value));
                continue;
            }
            if (auto expanded_text = expander.text(*text, where, "environment." + variable))
                program.environment[variable] = std::move(*expanded_text);
        }
    }

    void read_sockets(Program& program, const std::vector<std::string>* socket_names) const {
        const toml::node* node = fields.find("sockets");
        if (!node) return;
        program.sockets_where = fields.where(*node);
        auto names = fields.strings("sockets");
        if (!names) return;
        const toml::array& array = *node->as_array();
        for (std::size_t i = 0; i < names->size(); ++i) {
            const std::string& socket = (*names)[i];
            Location where = fields.where(*array.get(i));
            bool known = !socket_names;
            if (socket_names)
                for (const std::string& candidate : *socket_names) known = known || candidate == socket;
            if (!known) {
                std::string hint = did_you_mean(socket, *socket_names);
                if (hint.empty()) hint = socket_names->empty() ? " (no [socket.*] is defined)" : "";
                diag.error(where, "unknown socket '" + socket + "' in 'sockets'" + hint);
                continue;
            }
            for (std::size_t j = 0; j < i; ++j)
                if ((*names)[j] == socket) diag.error(where, "socket '" + socket + "' is listed twice in 'sockets'");
            program.sockets.push_back(socket);
        }
    }

    /// `requires` or `after`: the same table, NAME = CONDITION.
    void read_dependencies(Program& program, DependencyKind kind) const {
        const std::string key = to_string(kind);
        const toml::table* table = fields.subtable(key);
        if (!table) return;
        static const std::vector<std::pair<std::string, Condition>> kConditions = {
            {"started", Condition::Started}, {"ready", Condition::Ready},
            {"healthy", Condition::Healthy}, {"completed", Condition::Completed}};
        // The keys are program names; unknown ones are cross_check's to report.
        TableFields dependency_fields(*table, fields.file(), section(), key + ".", diag);
        std::vector<std::pair<Location, Dependency>> written;
        for (auto&& [name_key, value] : *table) {
            Dependency dependency;
            dependency.name = std::string(name_key.str());
            dependency.where = location_of(name_key.source(), fields.file());
            dependency.kind = kind;
            if (dependency.name == name) {
                diag.error(dependency.where, "program '" + name + "' " +
                                                 (kind == DependencyKind::After ? "is ordered after" : "requires") +
                                                 " itself");
                continue;
            }
            // One program, one kind: "requires" already orders, so both would say two things.
            auto other = std::find_if(program.dependencies.begin(), program.dependencies.end(),
                                      [&](const Dependency& d) { return d.name == dependency.name && d.kind != kind; });
            if (other != program.dependencies.end()) {
                diag.error(dependency.where, "'" + dependency.name + "' is in both 'requires' (" + other->where.str() +
                                                 ") and 'after'; 'requires' already orders, keep one");
                continue;
            }
            auto condition = dependency_fields.choice(dependency.name, kConditions);
            if (!condition) continue;
            dependency.condition = *condition;
            written.emplace_back(dependency.where, std::move(dependency));
        }
        // toml++ keeps keys sorted; the order written is what a user expects to see.
        std::stable_sort(written.begin(), written.end(), [](const auto& a, const auto& b) {
            return std::pair(a.first.line, a.first.column) < std::pair(b.first.line, b.first.column);
        });
        for (auto& [where, dependency] : written) program.dependencies.push_back(std::move(dependency));
    }

    /// `ready` (is_health false) or `health`.
    Probe read_probe(std::string_view key, bool is_health) const {
        Probe probe;
        const toml::table* table = fields.subtable(key);
        if (!table) return probe;
        std::string prefix = std::string(key) + ".";
        TableFields probe_fields(*table, fields.file(), section(), prefix, kProbeKeys, diag);
        probe.where = probe_fields.table_where();

        if (is_health) {
            for (const char* ready_only : {"notify", "delay"})
                if (probe_fields.has(ready_only))
                    probe_fields.error(ready_only, "'" + std::string(ready_only) +
                                                       "' only applies to 'ready', not to 'health'");
        } else {
            for (const char* health_only : {"interval", "retries"})
                if (probe_fields.has(health_only))
                    probe_fields.error(health_only, "'" + std::string(health_only) +
                                                        "' only applies to 'health', not to 'ready'");
        }

        std::vector<std::string> kinds;
        for (const std::string& kind : kProbeKinds)
            if (probe_fields.has(kind)) kinds.push_back(kind);
        const std::string allowed = is_health ? "tcp, http or exec" : "tcp, http, exec, notify or delay";
        if (kinds.empty()) {
            diag.error(probe.where, "'" + std::string(key) + "' needs one of " + allowed);
        } else if (kinds.size() > 1) {
            diag.error(probe_fields.where(kinds[1]), "'" + std::string(key) + "' has both '" + kinds[0] + "' and '" +
                                                         kinds[1] + "'; a probe checks one thing, so keep one");
        } else {
            read_probe_kind(probe_fields, kinds[0], is_health, probe);
        }

        if (auto timeout = probe_fields.duration("timeout")) {
            if (timeout->count() > 0) probe.timeout = *timeout;
            else probe_fields.error("timeout", "'" + prefix + "timeout' must be longer than 0");
        }
        if (is_health) {
            if (auto interval = probe_fields.duration("interval")) {
                if (interval->count() > 0) probe.interval = *interval;
                else probe_fields.error("interval", "'" + prefix + "interval' must be longer than 0");
            }
            if (auto retries = probe_fields.integer("retries", 1, INT_MAX)) probe.retries = static_cast<int>(*retries);
        }
        return probe;
    }

    void read_probe_kind(const TableFields& probe_fields, const std::string& kind, bool is_health, Probe& probe) const {
        if (kind == "tcp" || kind == "http") {
            auto target = expanded(probe_fields, kind);
            if (!target) return;
            std::string why;
            auto endpoint = kind == "tcp" ? parse_tcp_target(*target, &why) : parse_http_target(*target, &why);
            if (!endpoint) {
                probe_fields.error(kind, "invalid '" + probe_fields.name(kind) + "' \"" + *target + "\": " + why);
                return;
            }
            probe.kind = kind == "tcp" ? Probe::Kind::Tcp : Probe::Kind::Http;
            probe.target = *target;
            probe.endpoint = std::move(*endpoint);
        } else if (kind == "exec") {
            auto argv = command(probe_fields, kind);
            if (!argv) return;
            probe.kind = Probe::Kind::Exec;
            probe.exec_argv = std::move(*argv);
        } else if (kind == "notify" && !is_health) {
            auto notify = probe_fields.boolean(kind);
            if (!notify) return;
            if (!*notify) {
                probe_fields.error(kind, "'" + probe_fields.name(kind) + "' can only be true; remove 'ready' instead");
                return;
            }
            probe.kind = Probe::Kind::Notify;
        } else if (kind == "delay" && !is_health) {
            auto delay = probe_fields.duration(kind);
            if (!delay) return;
            probe.kind = Probe::Kind::Delay;
            probe.delay = *delay;
        }
    }

    void read_backoff(Program& program) const {
        const toml::table* table = fields.subtable("backoff");
        if (!table) return;
        TableFields backoff(*table, fields.file(), section(), "backoff.", kBackoffKeys, diag);
        if (auto initial = backoff.duration("initial")) program.backoff.initial = *initial;
        if (auto max = backoff.duration("max")) program.backoff.max = *max;
        if (auto retries = backoff.integer("retries", 0, INT_MAX)) program.backoff.retries = static_cast<int>(*retries);
        if (program.backoff.max < program.backoff.initial)
            backoff.error(backoff.has("max") ? "max" : "initial",
                          "'backoff.max' must not be shorter than 'backoff.initial'");
    }

    void read_crash_limit(Program& program) const {
        const toml::table* table = fields.subtable("crash_limit");
        if (!table) return;
        TableFields limit(*table, fields.file(), section(), "crash_limit.", kCrashLimitKeys, diag);
        if (auto count = limit.integer("count", 1, 1000000)) program.crash_limit.count = static_cast<int>(*count);
        if (auto within = limit.duration("within")) {
            if (within->count() > 0) program.crash_limit.within = *within;
            else limit.error("within", "'crash_limit.within' must be longer than 0");
        }
    }

    void read_log(Program& program) const {
        const toml::table* table = fields.subtable("log");
        if (!table) return;
        TableFields log(*table, fields.file(), section(), "log.", kLogKeys, diag);
        if (auto max_size = log.size("max_size")) program.log.max_size = *max_size;
        if (auto keep = log.integer("keep", 0, kMaxLogKeep)) program.log.keep = static_cast<int>(*keep);
        if (auto compress = log.boolean("compress")) program.log.compress = *compress;
        // "hourly" and "daily" rotate at local clock boundaries; a duration
        // ("10m") rotates that long after the file was started.
        auto every_text = log.string("rotate_every");
        if (every_text && *every_text != "never" && *every_text != "hourly" && *every_text != "daily") {
            std::string why;
            auto interval = parse_duration(*every_text, &why);
            if (interval && interval->count() > 0) {
                program.log.rotate_every = RotateEvery::Interval;
                program.log.rotate_interval = *interval;
            } else {
                log.error("rotate_every", "invalid value \"" + *every_text +
                                              "\" for 'log.rotate_every': expected \"never\", \"hourly\", "
                                              "\"daily\" or a duration such as \"6h\"");
            }
        } else if (auto every = log.choice<RotateEvery>("rotate_every", {{"never", RotateEvery::Never},
                                                                        {"hourly", RotateEvery::Hourly},
                                                                        {"daily", RotateEvery::Daily}})) {
            program.log.rotate_every = *every;
        }
        if (auto mode = log.choice<StderrMode>("stderr", {{"merge", StderrMode::Merge},
                                                          {"separate", StderrMode::Separate},
                                                          {"discard", StderrMode::Discard}}))
            program.log.stderr_mode = *mode;
        if (auto timestamps = log.boolean("timestamps")) program.log.timestamps = *timestamps;
    }

    void read_watch(Program& program) const {
        auto patterns = fields.strings("watch");
        if (!patterns) return;
        const toml::array& array = *fields.find("watch")->as_array();
        for (std::size_t i = 0; i < patterns->size(); ++i) {
            std::string key = "watch[" + std::to_string(i) + "]";
            if (auto path = expander.path((*patterns)[i], fields.where(*array.get(i)), key))
                program.watch.push_back(std::move(*path));
        }
    }
};

} // namespace

Program read_program(const std::string& name, const toml::table& table, const std::string& file,
                     const ValueExpander& expander, const std::vector<std::string>* socket_names,
                     Diagnostics& diag, const Program* base) {
    TableFields fields(table, file, "[program." + name + "]", "", kProgramKeys, diag);
    ProgramReader reader{name, fields, expander, diag};
    Program program = base ? *base : Program{};
    program.name = name;
    if (!base) program.where = fields.table_where();
    if (base && fields.has("sockets")) program.sockets.clear();
    for (DependencyKind kind : {DependencyKind::Requires, DependencyKind::After})
        if (base && fields.has(to_string(kind)))
            std::erase_if(program.dependencies, [kind](const Dependency& d) { return d.kind == kind; });

    if (auto type = fields.choice<ProgramType>("type", {{"longrun", ProgramType::Longrun},
                                                        {"oneshot", ProgramType::Oneshot}}))
        program.type = *type;

    if (!fields.has("command") && !base) fields.missing("command");
    if (fields.has("command") || !base) program.command_where = fields.where("command");
    if (auto argv = reader.command(fields, "command")) program.argv = std::move(*argv);

    if (auto directory = reader.path("directory")) program.directory = std::move(*directory);
    reader.read_environment(program);
    if (auto env_file = reader.path("env_file")) program.env_file = std::move(*env_file);
    reader.read_sockets(program, socket_names);
    if (auto protocol = fields.choice<SocketProtocol>("socket_protocol", {{"systemd", SocketProtocol::Systemd},
                                                                          {"nginx", SocketProtocol::Nginx}}))
        program.socket_protocol = *protocol;
    if (auto start = fields.choice<StartMode>("start", {{"boot", StartMode::Boot},
                                                        {"on-demand", StartMode::OnDemand},
                                                        {"manual", StartMode::Manual}}))
        program.start = *start;
    if (program.start == StartMode::OnDemand && program.sockets.empty() && !fields.has("sockets"))
        fields.error("start", "'start = \"on-demand\"' starts the program on the first connection, so it needs 'sockets'");

    reader.read_dependencies(program, DependencyKind::Requires);
    reader.read_dependencies(program, DependencyKind::After);
    if (!base || fields.has("ready")) program.ready = reader.read_probe("ready", false);
    if (!base || fields.has("health")) program.health = reader.read_probe("health", true);

    if (auto restart = fields.choice<RestartPolicy>("restart", {{"always", RestartPolicy::Always},
                                                                {"on-failure", RestartPolicy::OnFailure},
                                                                {"never", RestartPolicy::Never}}))
        program.restart = *restart;
    if (auto codes = fields.integers("exit_codes", 0, 255)) {
        if (codes->empty()) fields.error("exit_codes", "'exit_codes' needs at least one exit code that means success");
        else program.exit_codes = std::move(*codes);
    }
    reader.read_backoff(program);
    reader.read_crash_limit(program);
    if (auto signal = fields.signal("stop_signal")) program.stop_signal = *signal;
    if (auto timeout = fields.duration("stop_timeout")) program.stop_timeout = *timeout;
    if (auto grace = fields.duration("start_grace")) program.start_grace = *grace;
    reader.read_log(program);

    if (auto creates = reader.path("creates")) {
        if (program.type == ProgramType::Oneshot) program.creates = std::move(*creates);
        else fields.error("creates", "'creates' only applies to oneshot programs; add type = \"oneshot\"");
    }
    if (auto umask = fields.file_mode("umask", 0777)) program.umask = *umask;
    reader.read_watch(program);
    return program;
}

} // namespace svd::config
