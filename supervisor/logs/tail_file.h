// The last lines of a log file, for `svctl tail -n N`.
#pragma once

#include <string>

namespace svd::logs {

/// The last `lines` lines of the file at `path` (all of it when shorter).
/// Reads at most the last few MiB, so a huge file costs nothing. Empty when
/// the file does not exist.
std::string tail_lines(const std::string& path, int lines);

} // namespace svd::logs
