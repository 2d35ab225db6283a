#include "runtime/environment.h"

#include "config/env_file.h"

#include <spdlog/spdlog.h>

namespace svd::runtime {

std::map<std::string, std::string> program_environment(const std::vector<std::string>& base,
                                                       const config::Program& spec, const std::string& home) {
    std::map<std::string, std::string> env;
    for (const auto& entry : base) {
        auto eq = entry.find('=');
        if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
    }
    // Variables of svd's own protocols must never leak from svd's environment.
    for (const char* own : {"LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "NGINX", "NOTIFY_SOCKET"}) env.erase(own);
    env["SVD_PROGRAM"] = spec.name;
    env["SVD_HOME"] = home;
    if (!spec.env_file.empty()) {
        config::EnvFile file = config::read_env_file(spec.env_file);
        if (!file.error.empty()) spdlog::warn("program {}: {}", spec.name, file.error);
        for (const auto& warning : file.warnings) spdlog::warn("program {}: {}", spec.name, warning);
        for (const auto& [key, value] : file.values) env[key] = value;
    }
    for (const auto& [key, value] : spec.environment) env[key] = value;
    return env;
}

} // namespace svd::runtime
