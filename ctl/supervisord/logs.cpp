// A program's output settings of supervisord (redirect_stderr,
// stdout_logfile*, stderr_logfile*) → svd's log = { ... }, and a note for
// what svd does its own way (file names, syslog, /dev/stdout).
#include "supervisord/converter.h"

#include "config/units.h"
#include "supervisord/values.h"

#include <algorithm>
#include <cctype>

namespace svctl::supervisord {

bool Converter::convert_logs(const IniSection& ini, Expander& expander, Process& process, bool first,
                             const KeyReports& report) {
    const auto& key_note = report.note;
    const auto& key_fail = report.fail;
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

} // namespace svctl::supervisord
