// runtime/: the environment a program starts with, before svd adds the
// variables of its own protocols (LISTEN_*, NGINX, NOTIFY_SOCKET).
#pragma once

#include "config/model.h"

#include <map>
#include <string>
#include <vector>

namespace svd::runtime {

/// svd's own environment (`base`, as "KEY=VALUE"), without svd's protocol
/// variables, then SVD_PROGRAM and SVD_HOME, then the env_file, then the
/// program's `environment`. Problems with the env_file are logged.
std::map<std::string, std::string> program_environment(const std::vector<std::string>& base,
                                                       const config::Program& spec, const std::string& home);

} // namespace svd::runtime
