// Verbs that work on files, without svd running: `svctl import` and
// `svctl export`.
#pragma once

#include <string>
#include <vector>

namespace svctl {

/// svctl import SUPERVISORD.CONF [--out DIR] [--force]
/// Converts a supervisord config into svd drop-ins (stdout without --out).
/// Exit status: 0 converted (notes on stderr), 1 nothing converted or the
/// file unreadable, 2 usage.
int run_import(const std::vector<std::string>& args);

/// svctl export systemd [--out DIR] [--prefix P] [--force]
/// Writes systemd user units for every program and held socket of the
/// config (`config_flag`, else the default config).
int run_export(const std::string& config_flag, const std::vector<std::string>& args);

} // namespace svctl
