// One [program:x] of supervisord → one [program.NAME] per process, key by
// key. Defaults that differ are written out (startretries 3, separate
// stderr), so a program behaves under svd as it did under supervisord.
#include "supervisord/converter.h"

#include "config/command_split.h"
#include "config/signals.h"
#include "supervisord/svd_text.h"
#include "supervisord/values.h"
#include "text/join.h"

#include <algorithm>
#include <climits>
#include <set>
#include <unistd.h>

namespace svctl::supervisord {
namespace {

// Every key supervisord 4 knows in [program:x]; anything else is a typo there.
const std::set<std::string> kProgramKeys = {
    "command", "process_name", "numprocs", "numprocs_start", "priority", "autostart", "startsecs", "startretries",
    "autorestart", "exitcodes", "stopsignal", "stopwaitsecs", "stopasgroup", "killasgroup", "user",
    "redirect_stderr", "stdout_logfile", "stdout_logfile_maxbytes", "stdout_logfile_backups",
    "stdout_capture_maxbytes", "stdout_events_enabled", "stdout_syslog", "stderr_logfile",
    "stderr_logfile_maxbytes", "stderr_logfile_backups", "stderr_capture_maxbytes", "stderr_events_enabled",
    "stderr_syslog", "environment", "directory", "umask", "serverurl"};

} // namespace

void Converter::convert_program(const IniFile& file, const IniSection& ini) {
    Section out;
    out.program = ini.name.substr(8);
    out.label = "[" + ini.name + "]";
    out.where = file.path + ":" + std::to_string(ini.line);
    auto key_note = [&](const std::string& key, const std::string& message) {
        const IniValue* value = ini.find(key);
        if (!value) note(file, ini.line, out.label + " " + message);
        else note(file, value->line, out.label + " " + key + "=" + value->text + ": " + message);
    };
    auto key_fail = [&](const std::string& key, const std::string& message) {
        const IniValue* value = ini.find(key);
        fail(file, value ? value->line : ini.line, out.label + " " + key + ": " + message + "; program not converted");
    };
    const KeyReports report{key_note, key_fail};
    for (const auto& [key, value] : ini.keys)
        if (!kProgramKeys.count(key)) note(file, value.line, out.label + " unknown key '" + key + "': ignored (supervisord would refuse it too)");

    if (!ini.has("command")) {
        fail(file, ini.line, out.label + " has no command; program not converted");
        return;
    }
    std::string group = group_of_.count(out.program) ? group_of_[out.program] : out.program;
    Expander base = file_expander(file);
    base.values["program_name"] = out.program;
    base.values["group_name"] = group;
    char host[256] = "localhost";
    ::gethostname(host, sizeof host - 1);
    base.values["host_node_name"] = host;

    std::string why;
    long numprocs = 1, numprocs_start = 0;
    if (const IniValue* value = ini.find("numprocs")) {
        auto text = base.literal(value->text, why);
        auto number = text ? parse_integer(*text, 1, 10000) : std::nullopt;
        if (!number) return key_fail("numprocs", why.empty() ? "expected a whole number from 1" : why);
        numprocs = *number;
    }
    if (const IniValue* value = ini.find("numprocs_start")) {
        auto text = base.literal(value->text, why);
        auto number = text ? parse_integer(*text, 0, 1000000) : std::nullopt;
        if (!number) return key_fail("numprocs_start", why.empty() ? "expected a whole number" : why);
        numprocs_start = *number;
    }
    base.values["numprocs"] = std::to_string(numprocs);
    base.values["numprocs_start"] = std::to_string(numprocs_start);
    std::string process_name = ini.has("process_name") ? ini.find("process_name")->text : "%(program_name)s";
    if (numprocs > 1 && process_name.find("%(process_num)") == std::string::npos)
        return key_fail("process_name", "with numprocs > 1 it must contain %(process_num)s (as supervisord requires)");

    if (const IniValue* value = ini.find("priority")) {
        auto number = parse_integer(value->text, 0, INT_MAX);
        if (!number) return key_fail("priority", "expected a whole number");
        out.priority = *number;
        out.priority_written = true;
    } else if (group_priority_.count(group)) {
        out.priority = group_priority_[group];
        out.priority_written = true;
    }

    for (long num = numprocs_start; num < numprocs_start + numprocs; ++num) {
        Expander expander = base;
        expander.values["process_num"] = std::to_string(num);
        bool first = num == numprocs_start;
        auto process = convert_process(file, ini, out, expander, process_name, first, report);
        if (!process) return;
        out.processes.push_back(std::move(*process));
        if (expander.uses_host && first)
            note(file, ini.line, out.label + " %(host_node_name)s was replaced by this host's name, " + host);
    }
    if (numprocs > 1) {
        std::string names = svd::text::join(out.processes, ", ", [](const Process& process) { return process.name; });
        note(file, ini.find("numprocs")->line,
             out.label + " numprocs=" + std::to_string(numprocs) + ": one svd program per process: " + names);
    }
    out.file_name = svd_name(out.program) + ".toml";
    for (const Section& other : sections_)
        if (other.file_name == out.file_name) out.file_name = svd_name(out.program) + "-" + std::to_string(sections_.size()) + ".toml";
    out.comments.push_back("Converted by `svctl import` from " + out.where + " " + out.label + ".");
    sections_.push_back(std::move(out));
}

std::optional<Process> Converter::convert_process(const IniFile& file, const IniSection& ini, Section& out,
                                                 Expander& expander, const std::string& process_name, bool first,
                                                 const KeyReports& report) {
    const auto& key_note = report.note;
    const auto& key_fail = report.fail;
    Process process;
    std::string why;
    auto name = expander.literal(process_name, why);
    if (!name) return key_fail("process_name", why), std::nullopt;
    process.name = svd_name(*name);
    if (process.name != *name && first)
        key_note("process_name", (*name == "all" ? std::string("svctl uses 'all' for every program")
                                                 : std::string("svd names use letters, digits, '_', '.' and '-'")) +
                                     ": renamed to " + process.name);
    if (!valid_svd_name(process.name)) return key_fail("process_name", "not a valid svd name"), std::nullopt;
    for (const std::string& taken : names_taken_)
        if (taken == process.name)
            return key_fail("process_name", "program " + process.name + " is already defined"), std::nullopt;
    names_taken_.push_back(process.name);

    auto text = [&](const std::string& key) -> std::optional<std::string> {
        const IniValue* value = ini.find(key);
        if (!value) return std::nullopt;
        return expander.svd_text(value->text, why);
    };
    auto literal = [&](const std::string& key) -> std::optional<std::string> {
        const IniValue* value = ini.find(key);
        if (!value) return std::nullopt;
        return expander.literal(value->text, why);
    };
    auto& lines = process.lines;

    // command: supervisord splits it as a POSIX shell would (shlex), so
    // does svd; it is kept as a string so it reads as the user wrote it.
    why.clear();
    auto command = text("command");
    if (!command) return key_fail("command", why), std::nullopt;
    std::string one_line = *command;
    std::replace(one_line.begin(), one_line.end(), '\n', ' ');
    std::string split_error;
    auto argv = svd::config::split_command(one_line, &split_error);
    if (!argv) return key_fail("command", split_error), std::nullopt;
    if (argv->empty()) return key_fail("command", "it is empty"), std::nullopt;
    lines.push_back("command = " + toml_string(one_line));

    why.clear();
    if (ini.has("directory")) {
        auto directory = text("directory");
        if (!directory) return key_fail("directory", why), std::nullopt;
        lines.push_back("directory = " + toml_string(*directory));
    }

    // environment: [supervisord]'s, then the program's on top.
    auto environment = global_environment_;
    if (ini.has("environment")) {
        auto expanded = text("environment");
        auto pairs = expanded ? parse_environment(*expanded, why) : std::nullopt;
        if (!pairs) return key_fail("environment", why), std::nullopt;
        for (auto& [key, value] : *pairs) {
            bool replaced = false;
            for (auto& [existing, existing_value] : environment)
                if (existing == key) existing_value = value, replaced = true;
            if (!replaced) environment.emplace_back(key, value);
        }
    }
    process.environment = std::move(environment);

    if (ini.has("autostart")) {
        auto value = literal("autostart");
        auto on = value ? parse_bool(*value) : std::nullopt;
        if (!on) return key_fail("autostart", "expected true or false"), std::nullopt;
        if (!*on) lines.push_back("start = \"manual\"  # autostart=false: `svctl start " + process.name + "`");
    }
    if (ini.has("autorestart")) {
        auto value = literal("autorestart");
        std::string restart;
        if (value && lower(trim(*value)) == "unexpected") restart = "on-failure";
        else if (auto on = value ? parse_bool(*value) : std::nullopt) restart = *on ? "always" : "never";
        else return key_fail("autorestart", "expected true, false or unexpected"), std::nullopt;
        lines.push_back("restart = \"" + restart + "\"");
    }
    if (ini.has("exitcodes")) {
        auto value = literal("exitcodes");
        std::string list;
        std::string codes = value ? *value : "";
        std::replace(codes.begin(), codes.end(), ',', ' ');
        std::size_t start = 0;
        bool ok = value.has_value();
        while (ok && start < codes.size()) {
            while (start < codes.size() && codes[start] == ' ') ++start;
            std::size_t end = codes.find(' ', start);
            std::string code = codes.substr(start, end == std::string::npos ? std::string::npos : end - start);
            if (code.empty()) break;
            auto number = parse_integer(code, 0, 255);
            if (!number) ok = false;
            else list += (list.empty() ? "" : ", ") + std::to_string(*number);
            start = end == std::string::npos ? codes.size() : end;
        }
        if (!ok || list.empty()) return key_fail("exitcodes", "expected exit codes from 0 to 255, e.g. 0,2"), std::nullopt;
        lines.push_back("exit_codes = [" + list + "]");
    }
    if (ini.has("startsecs")) {
        auto value = literal("startsecs");
        auto number = value ? parse_integer(*value) : std::nullopt;
        if (!number) return key_fail("startsecs", "expected a whole number of seconds"), std::nullopt;
        lines.push_back("start_grace = " + seconds(*number) + "  # startsecs");
    }
    // supervisord gives up after 3 failed starts by default, svd after 5.
    long retries = 3;
    if (ini.has("startretries")) {
        auto value = literal("startretries");
        auto number = value ? parse_integer(*value) : std::nullopt;
        if (!number) return key_fail("startretries", "expected a whole number"), std::nullopt;
        retries = *number;
    }
    lines.push_back("backoff = { retries = " + std::to_string(retries) + " }  # startretries" +
                    (ini.has("startretries") ? "" : " (supervisord's default)"));
    if (ini.has("stopsignal")) {
        auto value = literal("stopsignal");
        auto number = value ? svd::config::signal_number(trim(*value)) : std::nullopt;
        if (!number) return key_fail("stopsignal", "unknown signal"), std::nullopt;
        lines.push_back("stop_signal = \"" + svd::config::signal_name(*number) + "\"");
    }
    if (ini.has("stopwaitsecs")) {
        auto value = literal("stopwaitsecs");
        auto number = value ? parse_integer(*value) : std::nullopt;
        if (!number) return key_fail("stopwaitsecs", "expected a whole number of seconds"), std::nullopt;
        lines.push_back("stop_timeout = " + seconds(*number) + "  # stopwaitsecs");
    }
    std::optional<std::string> umask = ini.has("umask") ? literal("umask") : global_umask_;
    if (umask) {
        std::string digits = trim(*umask);
        bool octal = !digits.empty() && digits.size() <= 4 &&
                     digits.find_first_not_of("01234567") == std::string::npos;
        if (!octal) return key_fail("umask", "expected an octal mask such as 022"), std::nullopt;
        lines.push_back("umask = \"" + digits + "\"");
    }

    if (!convert_logs(ini, expander, process, first, report)) return std::nullopt;

    if (first) {
        if (ini.has("user"))
            key_note("user", "svd runs every program as the user running svd and cannot switch user; run svd as "
                             "that user, or leave the line out");
        for (const char* key : {"stopasgroup", "killasgroup"}) {
            if (!ini.has(key)) continue;
            auto value = literal(key);
            auto on = value ? parse_bool(*value) : std::nullopt;
            if (on && *on)
                key_note(key, "svd always signals the program's whole process group, so this is what it does anyway");
            else
                key_note(key, "svd always signals the program's whole process group (each program leads its own); "
                              "children that must outlive a stop need their own session (setsid)");
        }
        if (ini.has("stopasgroup") || ini.has("killasgroup"))
            out.process_comments.push_back("svd signals the whole process group on stop (stopasgroup/killasgroup)");
        if (ini.has("serverurl")) key_note("serverurl", "svd sets no SUPERVISOR_SERVER_URL; ignored");
        for (const char* key : {"stdout_events_enabled", "stderr_events_enabled", "stdout_capture_maxbytes",
                                "stderr_capture_maxbytes"})
            if (ini.has(key)) key_note(key, "svd has no event listeners nor capture mode; ignored");
        for (const char* key : {"stdout_syslog", "stderr_syslog"})
            if (ini.has(key))
                key_note(key, "svd writes output to files in log_dir only; `svctl tail -f` reads them");
    }
    (void)file;
    return process;
}

} // namespace svctl::supervisord
