// The mapping, key by key (systemd 252, Debian 12):
//   command → ExecStart (argv quoted for systemd, '%' and '$' doubled)
//   type oneshot → Type=oneshot + RemainAfterExit=yes; ready.notify → Type=notify
//   ready tcp/exec/delay → ExecStartPost= that waits, TimeoutStartSec=timeout
//   restart → Restart=; backoff.initial → RestartSec=; stop_* → KillSignal=, TimeoutStopSec=
//   requires → Requires= + After=; after → After=; sockets → NAME.socket + Sockets=
//   start boot → WantedBy=default.target; on-demand → only the socket is wanted
#include "verbs/export_systemd.h"

#include "config/command_split.h"
#include "config/signals.h"
#include "config/units.h"
#include "text/join.h"

#include <cstdio>
#include <sys/stat.h>
#include <unistd.h>

namespace svctl {
namespace {

using svd::config::Condition;
using svd::config::Config;
using svd::config::Probe;
using svd::config::Program;
using svd::config::ProgramType;
using svd::config::RestartPolicy;
using svd::config::Socket;
using svd::config::SocketProtocol;
using svd::config::StartMode;

/// '%' starts a systemd specifier in almost every setting.
std::string escape_specifiers(const std::string& text) {
    std::string out;
    for (char c : text) {
        out += c;
        if (c == '%') out += '%';
    }
    return out;
}

/// A C-style escaped double-quoted string, for Environment= and ExecStart=.
std::string quoted(const std::string& text, bool double_dollar) {
    std::string out = "\"";
    for (unsigned char c : text) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\t': out += "\\t"; break;
        case '%': out += "%%"; break;
        case '$': out += double_dollar ? "$$" : "$"; break;
        default:
            if (c < 0x20 || c == 0x7f) {
                char escaped[8];
                std::snprintf(escaped, sizeof escaped, "\\x%02x", c);
                out += escaped;
            } else {
                out += static_cast<char>(c);
            }
        }
    }
    return out + "\"";
}

std::string duration(svd::config::Millis value) { return svd::config::format_duration(value); }

std::string seconds_text(svd::config::Millis value) {
    char text[32];
    std::snprintf(text, sizeof text, "%lld.%03lld", static_cast<long long>(value.count() / 1000),
                  static_cast<long long>(value.count() % 1000));
    return text;
}

/// A shell word for `sh -c`: single-quoted unless plain.
std::string shell_word(const std::string& word) {
    bool plain = !word.empty();
    for (char c : word)
        plain = plain && (std::isalnum(static_cast<unsigned char>(c)) || std::string_view("_@%+=:,./-").find(c) != std::string_view::npos);
    if (plain) return word;
    std::string out = "'";
    for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

bool executable(const std::string& path) {
    struct stat info{};
    return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

/// argv[0] made absolute through `path`, as svd would find it; as written
/// when nothing on the path has it.
std::string resolve(const std::string& program, const std::string& path) {
    if (program.find('/') != std::string::npos) return program;
    std::size_t start = 0;
    while (start <= path.size()) {
        auto colon = path.find(':', start);
        std::string dir = path.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
        if (!dir.empty() && executable(dir + "/" + program)) return dir + "/" + program;
        if (colon == std::string::npos) break;
        start = colon + 1;
    }
    return program;
}

std::string command_line(const std::vector<std::string>& argv) {
    return svd::text::join(argv, " ", systemd_word);
}

class Exporter {
public:
    Exporter(const Config& config, std::string prefix, std::string path)
        : config_(config), prefix_(std::move(prefix)), path_(std::move(path)) {}

    SystemdExport run() {
        for (const Program& program : config_.programs) service(program);
        for (const Socket& socket : config_.sockets) socket_unit(socket);
        return std::move(result_);
    }

private:
    std::string unit(const std::string& name, const char* suffix) const { return prefix_ + name + suffix; }

    void note(const Program& program, const std::string& message) {
        result_.notes.push_back("program " + program.name + " (" + program.where.str() + "): " + message);
    }

    /// The first program that lists `socket`: the one its unit activates.
    const Program* owner(const std::string& socket) const {
        for (const Program& program : config_.programs)
            for (const std::string& name : program.sockets)
                if (name == socket) return &program;
        return nullptr;
    }

    void service(const Program& program) {
        std::string unit_section, service_section, install, comments;
        auto line = [](std::string& section, const std::string& text) { section += text + "\n"; };

        line(unit_section, "Description=" + escape_specifiers("svd program " + program.name));
        std::string after, requires_units;
        for (const auto& dependency : program.dependencies) {
            std::string name = unit(dependency.name, ".service");
            after += (after.empty() ? "" : " ") + name;
            // `after` is systemd's After= alone.
            if (dependency.kind == svd::config::DependencyKind::Requires)
                requires_units += (requires_units.empty() ? "" : " ") + name;
            if (dependency.condition == Condition::Healthy) {
                line(comments, "# requires " + dependency.name +
                                   " = \"healthy\": systemd has no health checks; this waits until it is started (ready)");
                note(program, "requires " + dependency.name + " = \"healthy\": systemd only orders after it started");
            }
        }
        std::string socket_units =
            svd::text::join(program.sockets, " ", [this](const std::string& socket) { return unit(socket, ".socket"); });
        if (!socket_units.empty()) after += (after.empty() ? "" : " ") + socket_units;
        if (!requires_units.empty()) line(unit_section, "Requires=" + requires_units);
        if (!after.empty()) line(unit_section, "After=" + after);
        if (!socket_units.empty()) line(unit_section, "Requires=" + socket_units);
        if (!program.creates.empty()) line(unit_section, "ConditionPathExists=!" + escape_specifiers(program.creates));

        bool oneshot = program.type == ProgramType::Oneshot;
        const Probe& ready = program.ready;
        if (oneshot) {
            line(service_section, "Type=oneshot");
            line(service_section, "RemainAfterExit=yes");
        } else if (ready.kind == Probe::Kind::Notify) {
            line(service_section, "Type=notify");
        } else {
            line(service_section, "Type=simple");
        }

        std::vector<std::string> argv = program.argv;
        std::string search_path = path_;
        if (auto found = program.environment.find("PATH"); found != program.environment.end()) search_path = found->second;
        if (!argv.empty()) {
            argv[0] = resolve(argv[0], search_path);
            if (argv[0].front() != '/')
                note(program, "'" + argv[0] + "' is not on PATH here; systemd looks it up in its own fixed PATH");
        }
        line(service_section, "ExecStart=" + command_line(argv));
        if (!oneshot) ready_probe(program, service_section, comments);
        if (!program.directory.empty()) line(service_section, "WorkingDirectory=" + escape_specifiers(program.directory));
        // What svd gives every program, so scripts that read it still work.
        line(service_section, "Environment=" + quoted("SVD_PROGRAM=" + program.name, false) + " " +
                                  quoted("SVD_HOME=" + config_.svd.home, false));
        for (const auto& [key, value] : program.environment)
            line(service_section, "Environment=" + quoted(key + "=" + value, false));
        if (!program.sockets.empty() && program.socket_protocol == SocketProtocol::Nginx) {
            std::string fds;
            for (std::size_t i = 0; i < program.sockets.size(); ++i) fds += std::to_string(3 + i) + ";";
            line(comments, "# socket_protocol = \"nginx\": nginx takes inherited sockets from $NGINX, not LISTEN_FDS");
            line(service_section, "Environment=" + quoted("NGINX=" + fds, false));
        }
        if (!program.env_file.empty()) {
            line(service_section, "EnvironmentFile=" + escape_specifiers(program.env_file));
            if (!program.environment.empty()) {
                line(comments, "# env_file: under systemd, EnvironmentFile= wins over Environment=; under svd, environment wins");
                note(program, "env_file and environment: systemd lets the file win where both set a variable, svd the table");
            }
        }
        if (!socket_units.empty()) line(service_section, "Sockets=" + socket_units);
        if (program.umask) {
            char mask[8];
            std::snprintf(mask, sizeof mask, "%04o", static_cast<unsigned>(*program.umask));
            line(service_section, std::string("UMask=") + mask);
        }

        const char* restart = program.restart == RestartPolicy::Always      ? "always"
                              : program.restart == RestartPolicy::OnFailure ? "on-failure"
                                                                            : "no";
        if (oneshot && program.restart == RestartPolicy::Always) {
            restart = "on-failure";
            note(program, "restart = \"always\" on a oneshot: systemd allows only on-failure or no; on-failure written");
        }
        line(service_section, std::string("Restart=") + restart);
        if (program.restart != RestartPolicy::Never) {
            line(service_section, "RestartSec=" + duration(program.backoff.initial));
            line(comments, "# backoff: svd doubles the delay from " + duration(program.backoff.initial) + " to " +
                               duration(program.backoff.max) + " and gives up after " +
                               std::to_string(program.backoff.retries) +
                               " failed starts; systemd waits RestartSec= each time and stops after StartLimitBurst= "
                               "starts within StartLimitIntervalSec=");
        }
        std::string success;
        bool zero = false;
        for (int code : program.exit_codes) {
            if (code == 0) zero = true;
            else success += (success.empty() ? "" : " ") + std::to_string(code);
        }
        if (!success.empty()) line(service_section, "SuccessExitStatus=" + success);
        if (!zero) note(program, "exit_codes leaves out 0, but systemd always counts exit 0 as success");
        line(service_section, "KillSignal=SIG" + svd::config::signal_name(program.stop_signal));
        line(service_section, "KillMode=control-group");
        line(service_section, "TimeoutStopSec=" + duration(program.stop_timeout));
        if (program.log.stderr_mode == svd::config::StderrMode::Discard) line(service_section, "StandardError=null");
        line(comments, "# output goes to the journal: journalctl --user -u " + unit(program.name, ".service") +
                           " (svd's log rotation settings do not apply)");

        if (program.health.kind != Probe::Kind::None) {
            line(comments, "# health: systemd has no health checks; the " + std::string(to_string(program.health.kind)) +
                               " probe of svd is not exported");
            note(program, "health: systemd has no health checks; not exported");
        }
        if (!program.watch.empty()) {
            line(comments, "# watch: svd restarts on file changes; with systemd, a .path unit can do that");
            note(program, "watch: not exported (a systemd .path unit can restart on changes)");
        }

        switch (program.start) {
        case StartMode::Boot:
            install = "WantedBy=default.target\n";
            break;
        case StartMode::OnDemand:
            line(comments, "# start = \"on-demand\": its socket unit starts it on the first connection");
            break;
        case StartMode::Manual:
            line(comments, "# start = \"manual\": start it with systemctl --user start " + unit(program.name, ".service"));
            break;
        }

        std::string text = "# Generated by `svctl export systemd` from " + program.where.str() + "\n";
        text += comments;
        text += "\n[Unit]\n" + unit_section + "\n[Service]\n" + service_section;
        if (!install.empty()) text += "\n[Install]\n" + install;
        result_.units.push_back({unit(program.name, ".service"), text});
    }

    /// svd waits for readiness before it starts what requires the program;
    /// systemd waits for ExecStartPost= to finish, so that is where the
    /// probe goes.
    void ready_probe(const Program& program, std::string& service_section, std::string& comments) {
        const Probe& ready = program.ready;
        auto line = [](std::string& section, const std::string& text) { section += text + "\n"; };
        std::vector<std::string> post;
        switch (ready.kind) {
        case Probe::Kind::None:
        case Probe::Kind::Notify:
            break;
        case Probe::Kind::Tcp: {
            auto colon = ready.target.rfind(':');
            std::string host = ready.target.substr(0, colon), port = ready.target.substr(colon + 1);
            if (host.size() > 1 && host.front() == '[') host = host.substr(1, host.size() - 2);
            post = {"/bin/bash", "-c",
                    "until (exec 3<>/dev/tcp/" + host + "/" + port + ") 2>/dev/null; do sleep 0.2; done"};
            break;
        }
        case Probe::Kind::Exec: {
            std::string command = svd::text::join(ready.exec_argv, " ", shell_word);
            post = {"/bin/sh", "-c", "until " + command + "; do sleep 1; done"};
            break;
        }
        case Probe::Kind::Delay:
            post = {"/bin/sleep", seconds_text(ready.delay)};
            break;
        case Probe::Kind::Http:
            line(comments, "# ready = { http = \"" + ready.target +
                               "\" }: not exported; systemd counts the service as started at once");
            note(program, "ready.http: not exported (systemd has no HTTP probe); it counts as started at once");
            break;
        }
        if (!post.empty()) line(service_section, "ExecStartPost=" + command_line(post));
        if (ready.kind != Probe::Kind::None && ready.kind != Probe::Kind::Http)
            line(service_section, "TimeoutStartSec=" + duration(ready.timeout));
    }

    void socket_unit(const Socket& socket) {
        const Program* program = owner(socket.name);
        if (!program) {
            result_.notes.push_back("socket " + socket.name + " (" + socket.where.str() +
                                    "): no program uses it, so no unit was written");
            return;
        }
        std::string text = "# Generated by `svctl export systemd` from " + socket.where.str() + "\n";
        for (const Program& other : config_.programs)
            if (&other != program)
                for (const std::string& name : other.sockets)
                    if (name == socket.name)
                        text += "# " + unit(other.name, ".service") + " gets it too (Sockets= there); only " +
                                unit(program->name, ".service") + " is started by a connection\n";
        text += "\n[Unit]\nDescription=" + escape_specifiers("svd socket " + socket.name) + "\n";
        text += "\n[Socket]\n";
        if (socket.kind == Socket::Kind::Unix) {
            text += "ListenStream=" + escape_specifiers(socket.path) + "\n";
            char mode[8];
            std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(socket.mode));
            text += std::string("SocketMode=") + mode + "\n";
        } else if (socket.host.find(':') != std::string::npos) {
            text += "ListenStream=[" + socket.host + "]:" + std::to_string(socket.port) + "\n";
            text += "BindIPv6Only=ipv6-only\n";
        } else {
            text += "ListenStream=" + socket.host + ":" + std::to_string(socket.port) + "\n";
        }
        text += "FileDescriptorName=" + socket.name + "\n";
        text += "Backlog=" + std::to_string(socket.backlog) + "\n";
        text += "Service=" + unit(program->name, ".service") + "\n";
        if (program->start != StartMode::Manual) text += "\n[Install]\nWantedBy=sockets.target\n";
        result_.units.push_back({unit(socket.name, ".socket"), text});
    }

    const Config& config_;
    std::string prefix_;
    std::string path_;
    SystemdExport result_;
};

} // namespace

std::string systemd_word(const std::string& word) {
    if (word == ";") return "\\;";
    bool plain = !word.empty();
    for (char c : word)
        plain = plain && (std::isalnum(static_cast<unsigned char>(c)) ||
                          std::string_view("_@%+=:,./-$").find(c) != std::string_view::npos);
    if (!plain) return quoted(word, true);
    std::string out;
    for (char c : word) {
        out += c;
        if (c == '%' || c == '$') out += c;
    }
    return out;
}

SystemdExport export_systemd(const Config& config, const std::string& prefix, const std::string& path) {
    return Exporter(config, prefix, path).run();
}

} // namespace svctl
