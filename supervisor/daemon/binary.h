// Which file `svctl reload` re-executes, and how to tell two builds apart.
// /proc/self/exe is the inode svd was started from: after an upgrade by
// rename (dpkg, install, cp + mv) it is the old, deleted file, so a reload
// from it would run the old code while claiming the new. svd re-executes
// the path it was started as instead, resolved once at start.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace svd::daemon {

/// The absolute path of the svd binary as it was started: argv[0] made
/// absolute against the current directory, or looked up in $PATH when it
/// has no '/', symlinks kept (so /usr/bin/svd follows an upgraded target);
/// /proc/self/exe when neither works.
std::string resolve_installed_binary(const std::string& argv0);

/// Empty when `path` is an executable regular file; otherwise why not.
std::string why_not_executable(const std::string& path);

/// The GNU build id of the running image (hex), "unknown" without one.
const std::string& build_id();

/// {version, build_id, pid, exe}: what `svctl reload` shows before and after.
nlohmann::json image_identity();

} // namespace svd::daemon
