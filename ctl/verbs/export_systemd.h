// svd's config as systemd user units, for `svctl export systemd`: one
// NAME.service per program, one NAME.socket per held socket that a program
// uses. What systemd cannot express (health checks, file watching, svd's
// log rotation) is said in a comment in the unit and in a note.
#pragma once

#include "config/model.h"

#include <string>
#include <vector>

namespace svctl {

struct Unit {
    std::string name; ///< "web.service", "wps.socket"
    std::string text;
};

struct SystemdExport {
    std::vector<Unit> units;
    std::vector<std::string> notes; ///< "program web: health: ..."
};

/// `prefix` is put before every unit name ("svd-" gives svd-web.service).
/// `path` is the PATH used to find programs given by name (systemd wants
/// an absolute ExecStart for clarity).
SystemdExport export_systemd(const svd::config::Config& config, const std::string& prefix, const std::string& path);

/// One word of a command line as systemd reads ExecStart=: quoted when
/// needed, with '%' and '$' doubled so neither is expanded.
std::string systemd_word(const std::string& word);

} // namespace svctl
