#include "config/expand.h"

#include "config/suggest.h"

#include <algorithm>
#include <cstdlib>
#include <pwd.h>
#include <unistd.h>
#include <vector>

namespace svd::config {
namespace {

constexpr std::string_view kEnvPrefix = "env:";

bool is_svd_variable(std::string_view name) {
    for (std::string_view known : kVariableNames)
        if (known == name) return true;
    return false;
}

std::string available_list(const Variables& vars) {
    std::string list;
    for (const auto& [name, value] : vars.values) list += "${" + name + "}, ";
    return list + "${env:NAME}";
}

/// The value of ${name}, or nullopt with `*error` set.
std::optional<std::string> lookup(const std::string& name, const Variables& vars, std::string* error) {
    if (name.empty()) {
        *error = "empty variable name in '${}'";
        return std::nullopt;
    }
    if (name.compare(0, kEnvPrefix.size(), kEnvPrefix) == 0) {
        std::string env_name = name.substr(kEnvPrefix.size());
        if (env_name.empty()) {
            *error = "missing environment variable name in '${env:}'";
            return std::nullopt;
        }
        auto value = vars.env ? vars.env(env_name) : getenv_lookup(env_name);
        if (!value) *error = "environment variable '" + env_name + "' is not set";
        return value;
    }
    if (auto it = vars.values.find(name); it != vars.values.end()) return it->second;
    if (is_svd_variable(name)) {
        *error = "${" + name + "} cannot be used here; available: " + available_list(vars);
        return std::nullopt;
    }
    std::vector<std::string> candidates(std::begin(kVariableNames), std::end(kVariableNames));
    for (const auto& [defined, value] : vars.values)
        if (!is_svd_variable(defined)) candidates.push_back(defined);
    candidates.emplace_back("env");
    auto colon = name.find(':');
    if (colon != std::string::npos) {
        *error = "unknown variable '${" + name + "}'" +
                 did_you_mean(name.substr(0, colon), {"env"}) +
                 " (environment variables are written ${env:NAME})";
        return std::nullopt;
    }
    auto close = closest_match(name, candidates);
    *error = "unknown variable '${" + name + "}'";
    if (close && *close == "env") *error += "; did you mean '${env:" + name + "}'?";
    else if (close) *error += "; did you mean '${" + *close + "}'?";
    else *error += " (available: " + available_list(vars) + ")";
    return std::nullopt;
}

} // namespace

std::optional<std::string> getenv_lookup(const std::string& name) {
    const char* value = std::getenv(name.c_str());
    if (!value) return std::nullopt;
    return std::string(value);
}

std::optional<std::string> current_user_home() {
    if (auto home = getenv_lookup("HOME"); home && !home->empty()) return home;
    long size = sysconf(_SC_GETPW_R_SIZE_MAX);
    std::vector<char> buffer(size > 0 ? static_cast<std::size_t>(size) : 16384);
    passwd entry{};
    passwd* found = nullptr;
    if (getpwuid_r(getuid(), &entry, buffer.data(), buffer.size(), &found) != 0 || !found || !found->pw_dir)
        return std::nullopt;
    return std::string(found->pw_dir);
}

std::optional<std::string> expand(std::string_view text, const Variables& vars, std::string* error) {
    std::string out;
    std::size_t i = 0;
    if (!text.empty() && text[0] == '~' && (text.size() == 1 || text[1] == '/')) {
        if (!vars.user_home) {
            *error = "'~' needs $HOME, which is not set";
            return std::nullopt;
        }
        out = *vars.user_home;
        i = 1;
    }
    while (i < text.size()) {
        char c = text[i];
        if (c != '$' || i + 1 >= text.size()) {
            out += c;
            ++i;
        } else if (text[i + 1] == '$') {
            out += '$';
            i += 2;
        } else if (text[i + 1] == '{') {
            std::size_t close = text.find('}', i + 2);
            if (close == std::string_view::npos) {
                *error = "unterminated '${' at offset " + std::to_string(i) + " (write '$$' for a literal '$')";
                return std::nullopt;
            }
            auto value = lookup(std::string(text.substr(i + 2, close - i - 2)), vars, error);
            if (!value) return std::nullopt;
            // Checked before appending: a 1 MB variable used 2,000 times must
            // fail at its first use, not after building 2 GB.
            if (value->size() > kMaxExpandedBytes - std::min(out.size(), kMaxExpandedBytes)) {
                *error = "the value would expand to more than " + std::to_string(kMaxExpandedBytes / 1024) +
                         " KiB (the longest argument or environment string Linux takes)";
                return std::nullopt;
            }
            out += *value;
            i = close + 1;
        } else {
            out += c;
            ++i;
        }
    }
    if (out.size() > kMaxExpandedBytes) {
        *error = "the value is longer than " + std::to_string(kMaxExpandedBytes / 1024) +
                 " KiB (the longest argument or environment string Linux takes)";
        return std::nullopt;
    }
    return out;
}

} // namespace svd::config
