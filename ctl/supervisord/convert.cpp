// How supervisord's keys map to svd's, and why some do not. Defaults that
// differ are written out (startretries 3, separate stderr), so a program
// behaves under svd as it did under supervisord.
#include "supervisord/convert.h"

#include "config/command_split.h"
#include "config/signals.h"
#include "config/units.h"
#include "supervisord/ini.h"

#include <algorithm>
#include <cctype>
#include <climits>
#include <deque>
#include <cstdio>
#include <filesystem>
#include <glob.h>
#include <map>
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

const std::set<std::string> kServerSections = {"unix_http_server", "inet_http_server", "supervisorctl"};

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
    return text;
}

std::string trim(std::string_view text) {
    auto begin = text.find_first_not_of(" \t\r\n");
    if (begin == std::string_view::npos) return {};
    auto end = text.find_last_not_of(" \t\r\n");
    return std::string(text.substr(begin, end - begin + 1));
}

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

/// Text as svd reads it literally: a '$' that svd would take for the start
/// of ${...} or $$ is doubled.
std::string escape_dollars(std::string_view literal) {
    std::string out;
    for (std::size_t i = 0; i < literal.size(); ++i) {
        out += literal[i];
        if (literal[i] == '$' && (i + 1 == literal.size() || literal[i + 1] == '{' || literal[i + 1] == '$'))
            out += '$';
    }
    return out;
}

/// supervisord's `%(name)s` expansions (Python %-formatting with a dict).
struct Expander {
    std::map<std::string, std::string> values;
    bool uses_host = false;

    /// svd text for `text`: %(ENV_X)s becomes ${env:X}, every other name its
    /// value, %% a '%'. nullopt with `error` for an unknown name.
    std::optional<std::string> svd_text(std::string_view text, std::string& error) {
        std::string out, literal;
        auto flush = [&] {
            out += escape_dollars(literal);
            literal.clear();
        };
        for (std::size_t i = 0; i < text.size(); ++i) {
            if (text[i] != '%' || i + 1 >= text.size()) {
                literal += text[i];
                continue;
            }
            if (text[i + 1] == '%') {
                literal += '%';
                ++i;
                continue;
            }
            if (text[i + 1] != '(') {
                literal += '%'; // supervisord itself would refuse this; keep it as written
                continue;
            }
            auto close = text.find(')', i + 2);
            if (close == std::string_view::npos) {
                error = "unterminated '%(' in \"" + std::string(text) + "\"";
                return std::nullopt;
            }
            std::string name(text.substr(i + 2, close - i - 2));
            // Conversion spec: flags, width, precision, type.
            std::size_t j = close + 1;
            std::string flags;
            while (j < text.size() && std::string_view("#0- +").find(text[j]) != std::string_view::npos) flags += text[j++];
            int width = 0;
            while (j < text.size() && std::isdigit(static_cast<unsigned char>(text[j]))) width = width * 10 + (text[j++] - '0');
            if (j < text.size() && text[j] == '.') {
                ++j;
                while (j < text.size() && std::isdigit(static_cast<unsigned char>(text[j]))) ++j;
            }
            if (j >= text.size()) {
                error = "missing conversion type after '%(" + name + ")' in \"" + std::string(text) + "\"";
                return std::nullopt;
            }
            char type = text[j];
            std::string value;
            if (starts_with(name, "ENV_")) {
                flush();
                out += "${env:" + name.substr(4) + "}";
                i = j;
                continue;
            }
            auto found = values.find(name);
            if (found == values.end()) {
                std::string known;
                for (const auto& [key, unused] : values) known += (known.empty() ? "" : ", ") + key;
                error = "unknown expansion %(" + name + ")" + type + " (supervisord knows " + known + ", ENV_NAME)";
                return std::nullopt;
            }
            if (name == "host_node_name") uses_host = true;
            if (type == 's' || type == 'r') {
                value = found->second;
            } else if (type == 'd' || type == 'i' || type == 'u') {
                char buffer[64];
                long number = std::strtol(found->second.c_str(), nullptr, 10);
                std::string format = "%" + flags + (width ? std::to_string(width) : "") + "ld";
                std::snprintf(buffer, sizeof buffer, format.c_str(), number);
                value = buffer;
            } else {
                error = std::string("unsupported conversion '") + type + "' in %(" + name + ")" + type;
                return std::nullopt;
            }
            if (type == 's' && width > 0 && value.size() < static_cast<std::size_t>(width))
                value = flags.find('-') != std::string::npos ? value + std::string(width - value.size(), ' ')
                                                            : std::string(width - value.size(), ' ') + value;
            literal += value;
            i = j;
        }
        flush();
        return out;
    }

    /// The value with no ${...} left: for names, numbers and switches, which
    /// svd reads literally.
    std::optional<std::string> literal(std::string_view text, std::string& error) {
        auto expanded = svd_text(text, error);
        if (!expanded) return std::nullopt;
        if (expanded->find("${env:") != std::string::npos) {
            error = "uses %(ENV_...)s, which svd expands only in strings such as command and environment";
            return std::nullopt;
        }
        std::string out;
        for (std::size_t i = 0; i < expanded->size(); ++i) {
            out += (*expanded)[i];
            if ((*expanded)[i] == '$' && i + 1 < expanded->size() && (*expanded)[i + 1] == '$') ++i;
        }
        return out;
    }
};

std::optional<bool> parse_bool(const std::string& text) {
    std::string value = lower(trim(text));
    if (value == "true" || value == "yes" || value == "on" || value == "1") return true;
    if (value == "false" || value == "no" || value == "off" || value == "0") return false;
    return std::nullopt;
}

std::optional<long> parse_integer(const std::string& text, long min = 0, long max = INT_MAX) {
    std::string value = trim(text);
    if (value.empty() || value.size() > 10) return std::nullopt;
    for (char c : value)
        if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    long number = std::stol(value);
    if (number < min || number > max) return std::nullopt;
    return number;
}

/// supervisord's environment: KEY="value",KEY2=value2 (quotes keep commas).
std::optional<std::vector<std::pair<std::string, std::string>>> parse_environment(std::string_view text,
                                                                                   std::string& error) {
    std::vector<std::pair<std::string, std::string>> pairs;
    std::size_t i = 0;
    auto skip_separators = [&] {
        while (i < text.size() && (text[i] == ',' || std::isspace(static_cast<unsigned char>(text[i])))) ++i;
    };
    skip_separators();
    while (i < text.size()) {
        std::size_t key_start = i;
        while (i < text.size() && text[i] != '=' && text[i] != ',' && !std::isspace(static_cast<unsigned char>(text[i])))
            ++i;
        std::string key(text.substr(key_start, i - key_start));
        while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
        if (key.empty() || i >= text.size() || text[i] != '=') {
            error = "expected KEY=value pairs separated by commas, at \"" + std::string(text.substr(key_start)) + "\"";
            return std::nullopt;
        }
        ++i;
        while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i])) && text[i] != '\n') ++i;
        std::string value;
        if (i < text.size() && (text[i] == '"' || text[i] == '\'')) {
            char quote = text[i++];
            auto close = text.find(quote, i);
            if (close == std::string_view::npos) {
                error = "unterminated quote in the value of " + key;
                return std::nullopt;
            }
            value = std::string(text.substr(i, close - i));
            i = close + 1;
        } else {
            std::size_t value_start = i;
            while (i < text.size() && text[i] != ',' && text[i] != '\n') ++i;
            value = trim(text.substr(value_start, i - value_start));
        }
        bool replaced = false;
        for (auto& [existing, existing_value] : pairs)
            if (existing == key) existing_value = value, replaced = true;
        if (!replaced) pairs.emplace_back(key, value);
        skip_separators();
    }
    return pairs;
}

bool valid_svd_name(const std::string& name) {
    if (name.empty() || name == "all") return false;
    for (char c : name)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-')) return false;
    return true;
}

std::string svd_name(const std::string& name) {
    std::string out;
    for (char c : name) out += std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-' ? c : '-';
    if (out.empty() || out == "all") out += "-program";
    return out;
}

std::string seconds(long count) { return "\"" + std::to_string(count) + "s\""; }

struct Process {
    std::string name;
    std::vector<std::string> lines; ///< "key = value" lines of [program.NAME]
    std::vector<std::pair<std::string, std::string>> environment; ///< already svd text
};

/// One [program:x] on its way to x.toml.
struct Section {
    std::string label; ///< "[program:x]"
    std::string program; ///< x
    std::string where;   ///< "file:line"
    std::string file_name;
    std::vector<std::string> comments; ///< the drop-in's top comments
    std::vector<std::string> process_comments; ///< comments inside each [program.NAME]
    std::vector<Process> processes;
    long priority = 999;
    bool priority_written = false;
};

class Converter {
public:
    std::optional<Conversion> run(const std::string& path, std::string& error) {
        auto main = read_ini(path, error);
        if (!main) return std::nullopt;
        files_.push_back(std::move(*main));
        read_includes(error);
        if (!error.empty()) return std::nullopt;
        read_supervisord_section();
        read_groups();
        for (const IniFile& file : files_)
            for (const IniSection& section : file.sections) convert_section(file, section);
        note_groups();
        suggest_ordering();
        assemble();
        return std::move(result_);
    }

private:
    void note(const IniFile& file, int line, std::string message) {
        result_.notes.push_back({file.path + ":" + std::to_string(line), std::move(message)});
    }

    void fail(const IniFile& file, int line, std::string message) {
        result_.errors.push_back({file.path + ":" + std::to_string(line), std::move(message)});
    }

    Expander file_expander(const IniFile& file) const {
        Expander expander;
        expander.values["here"] = file.directory;
        return expander;
    }

    void read_includes(std::string& error) {
        const IniSection* include = files_[0].find("include");
        if (!include) return;
        const IniValue* files = include->find("files");
        if (!files) return;
        Expander expander = file_expander(files_[0]);
        std::string why;
        auto patterns = expander.literal(files->text, why);
        if (!patterns) {
            note(files_[0], files->line, "[include] files: " + why + "; nothing included");
            return;
        }
        std::set<std::string> seen = {std::filesystem::absolute(files_[0].path).lexically_normal().string()};
        std::size_t start = 0;
        std::string all = *patterns;
        while (start < all.size()) {
            while (start < all.size() && std::isspace(static_cast<unsigned char>(all[start]))) ++start;
            std::size_t end = start;
            while (end < all.size() && !std::isspace(static_cast<unsigned char>(all[end]))) ++end;
            if (end == start) break;
            std::string pattern = all.substr(start, end - start);
            start = end;
            if (pattern[0] != '/') pattern = files_[0].directory + "/" + pattern;
            glob_t matches{};
            if (::glob(pattern.c_str(), 0, nullptr, &matches) == 0) {
                for (std::size_t i = 0; i < matches.gl_pathc; ++i) {
                    std::string found = matches.gl_pathv[i];
                    std::string identity = std::filesystem::absolute(found).lexically_normal().string();
                    if (!seen.insert(identity).second) continue;
                    auto included = read_ini(found, error);
                    if (!included) {
                        ::globfree(&matches);
                        return;
                    }
                    if (included->find("include"))
                        note(*included, included->find("include")->line,
                             "[include] in an included file: supervisord ignores it, and so does the import");
                    files_.push_back(std::move(*included));
                }
            } else {
                note(files_[0], files->line, "[include] files: nothing matches " + pattern);
            }
            ::globfree(&matches);
        }
    }

    /// [supervisord]: its environment and umask reach every program; the
    /// rest configures supervisord itself.
    void read_supervisord_section() {
        const IniSection* section = files_[0].find("supervisord");
        if (!section) return;
        Expander expander = file_expander(files_[0]);
        std::vector<std::string> ignored;
        for (const auto& [key, value] : section->keys) {
            std::string why;
            if (key == "environment") {
                auto text = expander.svd_text(value.text, why);
                auto pairs = text ? parse_environment(*text, why) : std::nullopt;
                if (pairs) global_environment_ = std::move(*pairs);
                else note(files_[0], value.line, "[supervisord] environment: " + why + "; not converted");
            } else if (key == "umask") {
                global_umask_ = trim(value.text);
            } else if (key == "user") {
                note(files_[0], value.line,
                     "[supervisord] user=" + value.text +
                         ": svd never switches user; start it as that user (e.g. `runuser -u " + value.text +
                         " -- svd --daemon`)");
            } else if (key == "childlogdir" || key == "logfile") {
                note(files_[0], value.line,
                     "[supervisord] " + key + "=" + value.text +
                         ": svd writes its own log and every program's to log_dir; set log_dir in [svd] to choose "
                         "the directory");
            } else {
                ignored.push_back(key);
            }
        }
        if (!ignored.empty()) {
            std::string list;
            for (const auto& key : ignored) list += (list.empty() ? "" : ", ") + key;
            note(files_[0], section->line, "[supervisord] " + list + ": settings of supervisord itself, not needed by svd");
        }
    }

    void read_groups() {
        for (const IniFile& file : files_)
            for (const IniSection& section : file.sections) {
                if (!starts_with(section.name, "group:")) continue;
                std::string group = section.name.substr(6);
                const IniValue* programs = section.find("programs");
                std::vector<std::string> members;
                if (programs) {
                    std::string text = programs->text;
                    std::replace(text.begin(), text.end(), '\n', ',');
                    std::size_t start = 0;
                    while (start <= text.size()) {
                        auto comma = text.find(',', start);
                        std::string member = trim(text.substr(start, comma == std::string::npos ? std::string::npos
                                                                                                 : comma - start));
                        if (!member.empty()) {
                            members.push_back(member);
                            group_of_[member] = group;
                        }
                        if (comma == std::string::npos) break;
                        start = comma + 1;
                    }
                }
                if (const IniValue* priority = section.find("priority"))
                    if (auto number = parse_integer(priority->text)) group_priority_[group] = *number;
                groups_.push_back({group, members, &file, section.line});
            }
    }

    void convert_section(const IniFile& file, const IniSection& section) {
        const std::string& name = section.name;
        if (name == "supervisord" || name == "include" || starts_with(name, "group:")) return;
        if (kServerSections.count(name) || starts_with(name, "rpcinterface:")) {
            if (!server_noted_) {
                note(file, section.line,
                     "[" + name + "] and the like: svctl talks to svd over its own socket in run_dir (mode 0600), "
                     "so no server or rpcinterface section is needed");
                server_noted_ = true;
            }
            return;
        }
        if (starts_with(name, "eventlistener:")) {
            note(file, section.line, "[" + name + "] not converted: svd has no event listeners (`svctl status --json` "
                                                  "gives the states to poll instead)");
            return;
        }
        if (starts_with(name, "fcgi-program:")) {
            note(file, section.line,
                 "[" + name + "] not converted: svd passes held sockets as fd 3 with LISTEN_FDS (systemd's way), "
                              "not as stdin as FastCGI programs expect; write [socket.x] and sockets = [\"x\"] by "
                              "hand if the program can take a systemd socket");
            return;
        }
        if (name.empty()) {
            note(file, section.line, "keys before the first [section]: supervisord refuses them; ignored");
            return;
        }
        if (!starts_with(name, "program:")) {
            note(file, section.line, "[" + name + "]: not a section supervisord knows; ignored");
            return;
        }
        convert_program(file, section);
    }

    void convert_program(const IniFile& file, const IniSection& ini) {
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
            auto process = convert_process(file, ini, out, expander, process_name, first, key_note, key_fail);
            if (!process) return;
            out.processes.push_back(std::move(*process));
            if (expander.uses_host && first)
                note(file, ini.line, out.label + " %(host_node_name)s was replaced by this host's name, " + host);
        }
        if (numprocs > 1) {
            std::string names;
            for (const Process& process : out.processes) names += (names.empty() ? "" : ", ") + process.name;
            note(file, ini.find("numprocs")->line,
                 out.label + " numprocs=" + std::to_string(numprocs) + ": one svd program per process: " + names);
        }
        out.file_name = svd_name(out.program) + ".toml";
        for (const Section& other : sections_)
            if (other.file_name == out.file_name) out.file_name = svd_name(out.program) + "-" + std::to_string(sections_.size()) + ".toml";
        out.comments.push_back("Converted by `svctl import` from " + out.where + " " + out.label + ".");
        sections_.push_back(std::move(out));
    }

    template <typename KeyNote, typename KeyFail>
    std::optional<Process> convert_process(const IniFile& file, const IniSection& ini, Section& out, Expander& expander,
                                           const std::string& process_name, bool first, KeyNote key_note,
                                           KeyFail key_fail) {
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

        if (!convert_logs(ini, expander, process, first, key_note, key_fail)) return std::nullopt;

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

    /// stdout/stderr: svd writes NAME.log (and NAME.err.log) in log_dir,
    /// rotated by log.max_size and log.keep.
    template <typename KeyNote, typename KeyFail>
    bool convert_logs(const IniSection& ini, Expander& expander, Process& process, bool first, KeyNote key_note,
                      KeyFail key_fail) {
        std::string why;
        auto literal = [&](const std::string& key) -> std::optional<std::string> {
            const IniValue* value = ini.find(key);
            if (!value) return std::nullopt;
            return expander.literal(value->text, why);
        };
        auto upper = [](std::string text) {
            std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::toupper(c); });
            return text;
        };
        bool redirect = false;
        if (ini.has("redirect_stderr")) {
            auto value = literal("redirect_stderr");
            auto on = value ? parse_bool(*value) : std::nullopt;
            if (!on) return key_fail("redirect_stderr", "expected true or false"), false;
            redirect = *on;
        }
        std::string stdout_log = ini.has("stdout_logfile") ? trim(ini.find("stdout_logfile")->text) : "AUTO";
        std::string stderr_log = ini.has("stderr_logfile") ? trim(ini.find("stderr_logfile")->text) : "AUTO";
        std::string mode = redirect ? "merge" : upper(stderr_log) == "NONE" ? "discard" : "separate";

        std::vector<std::string> fields;
        auto size = [&](const std::string& key) -> std::optional<std::string> {
            auto value = literal(key);
            if (!value) return std::nullopt;
            std::string written = upper(trim(*value)), error;
            if (!svd::config::parse_size(written, &error)) {
                key_fail(key, "expected a size such as 50MB");
                return std::string();
            }
            bool digits = written.find_first_not_of("0123456789") == std::string::npos;
            return digits ? written : "\"" + written + "\"";
        };
        auto keep = [&](const std::string& key) -> std::optional<std::string> {
            auto value = literal(key);
            if (!value) return std::nullopt;
            auto number = parse_integer(*value);
            if (!number) {
                key_fail(key, "expected a whole number");
                return std::string();
            }
            return std::to_string(*number);
        };
        auto max_size = size("stdout_logfile_maxbytes");
        auto backups = keep("stdout_logfile_backups");
        auto err_max_size = size("stderr_logfile_maxbytes");
        auto err_backups = keep("stderr_logfile_backups");
        for (const auto* value : {&max_size, &backups, &err_max_size, &err_backups})
            if (*value && (*value)->empty()) return false;
        // One rotation setting in svd: stdout's, else stderr's.
        if (!max_size && mode == "separate") max_size = err_max_size;
        if (!backups && mode == "separate") backups = err_backups;
        if (max_size) fields.push_back("max_size = " + *max_size);
        if (backups) fields.push_back("keep = " + *backups);
        fields.push_back("stderr = \"" + mode + "\"");
        std::string line = "log = {";
        for (std::size_t i = 0; i < fields.size(); ++i) line += (i ? ", " : " ") + fields[i];
        process.lines.push_back(line + " }");

        if (!first) return true;
        if (mode == "separate" && ((err_max_size && max_size && *err_max_size != *max_size) ||
                                   (err_backups && backups && *err_backups != *backups)))
            key_note("stderr_logfile_maxbytes", "svd rotates both logs of a program alike; the stdout settings were kept");
        auto where_it_goes = [&](const std::string& key, const std::string& written, const std::string& file) {
            std::string value = upper(written);
            if (value == "AUTO" || value.empty()) return;
            if (value == "NONE") {
                if (key == "stdout_logfile")
                    key_note(key, "svd always keeps a program's stdout in " + file +
                                      " (log.stderr can discard stderr, nothing discards stdout)");
                return;
            }
            if (value == "SYSLOG") {
                key_note(key, "svd does not log to syslog; output goes to ${log_dir}/" + file);
                return;
            }
            if (starts_with(written, "/dev/stdout") || starts_with(written, "/dev/stderr") || starts_with(written, "/dev/fd/"))
                key_note(key, "svd writes output to ${log_dir}/" + file + ", not to its own stdout; `svctl tail -f " +
                                  process.name + "` follows it");
            else
                key_note(key, "svd writes this output to ${log_dir}/" + file + " (set log_dir in [svd] to choose the "
                                                                           "directory; file names are svd's)");
        };
        where_it_goes("stdout_logfile", stdout_log, process.name + ".log");
        if (!redirect) where_it_goes("stderr_logfile", stderr_log, process.name + ".err.log");
        return true;
    }

    void note_groups() {
        for (const auto& group : groups_) {
            std::string members;
            for (const auto& member : group.members) members += (members.empty() ? "" : ", ") + member;
            std::string processes;
            for (const auto& member : group.members) {
                bool found = false;
                for (Section& section : sections_)
                    if (section.program == member) {
                        found = true;
                        for (const Process& process : section.processes)
                            processes += (processes.empty() ? "" : " ") + process.name;
                        section.comments.push_back("supervisord [group:" + group.name + "] had: " + members +
                                                   ". svd has no groups; act on them together with `svctl restart " +
                                                   "NAME...`.");
                    }
                if (!found) note(*group.file, group.line, "[group:" + group.name + "] lists " + member + ", which is not a converted program");
            }
            note(*group.file, group.line,
                 "[group:" + group.name + "] (" + members + "): svd has no groups; name the programs together, e.g. "
                                                            "`svctl restart " + processes + "`");
        }
    }

    /// supervisord starts by ascending priority; svd starts everything at
    /// once unless `requires` says otherwise. Suggest, never invent, order.
    void suggest_ordering() {
        std::set<long> priorities;
        bool any_written = false;
        for (const Section& section : sections_) {
            priorities.insert(section.priority);
            any_written = any_written || section.priority_written;
        }
        if (!any_written || priorities.size() < 2) return;
        for (Section& section : sections_) {
            auto below = priorities.lower_bound(section.priority);
            if (below == priorities.begin()) continue;
            long previous = *std::prev(below);
            std::string requires_line, names;
            for (const Section& other : sections_) {
                if (other.priority != previous) continue;
                for (const Process& process : other.processes) {
                    requires_line += (requires_line.empty() ? "" : ", ") + toml_key(process.name) + " = \"started\"";
                    names += (names.empty() ? "" : ", ") + process.name;
                }
            }
            section.process_comments.push_back("supervisord started this after " + names + " (priority " +
                                               std::to_string(previous) + " < " + std::to_string(section.priority) +
                                               "). svd orders only by requires; if it needs them:");
            section.process_comments.push_back("requires = { " + requires_line + " }");
            result_.notes.push_back({section.where, section.label + " priority=" + std::to_string(section.priority) +
                                                        ": svd has no priority and starts programs in parallel, "
                                                        "ordered by requires; a commented requires = { " +
                                                        requires_line + " } was written to suggest one"});
        }
    }

    void assemble() {
        for (const Section& section : sections_) {
            OutputFile file;
            file.name = section.file_name;
            for (const std::string& comment : section.comments) file.text += "# " + comment + "\n";
            for (const Process& process : section.processes) {
                file.programs.push_back(process.name);
                file.text += "\n[program." + toml_key(process.name) + "]\n";
                for (const std::string& line : process.lines) file.text += line + "\n";
                for (const std::string& comment : section.process_comments) file.text += "# " + comment + "\n";
                if (!process.environment.empty()) {
                    file.text += "\n[program." + toml_key(process.name) + ".environment]\n";
                    for (const auto& [key, value] : process.environment)
                        file.text += toml_key(key) + " = " + toml_string(value) + "\n";
                }
            }
            result_.files.push_back(std::move(file));
        }
    }

    struct Group {
        std::string name;
        std::vector<std::string> members;
        const IniFile* file;
        int line;
    };

    std::deque<IniFile> files_;
    std::vector<std::pair<std::string, std::string>> global_environment_;
    std::optional<std::string> global_umask_;
    std::map<std::string, std::string> group_of_;
    std::map<std::string, long> group_priority_;
    std::vector<Group> groups_;
    std::vector<Section> sections_;
    std::vector<std::string> names_taken_;
    bool server_noted_ = false;
    Conversion result_;
};

} // namespace

std::string toml_string(const std::string& text) {
    bool literal_ok = text.find('\'') == std::string::npos;
    for (unsigned char c : text)
        if ((c < 0x20 && c != '\t') || c == 0x7f) literal_ok = false;
    if (literal_ok) return "'" + text + "'";
    std::string out = "\"";
    for (unsigned char c : text) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\t': out += "\\t"; break;
        case '\r': out += "\\r"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        default:
            if (c < 0x20 || c == 0x7f) {
                char escaped[8];
                std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
                out += escaped;
            } else {
                out += static_cast<char>(c);
            }
        }
    }
    return out + "\"";
}

std::string toml_key(const std::string& key) {
    bool bare = !key.empty();
    for (char c : key) bare = bare && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-');
    return bare ? key : toml_string(key);
}

std::optional<Conversion> convert(const std::string& path, std::string& error) {
    error.clear();
    return Converter().run(path, error);
}

} // namespace svctl::supervisord
