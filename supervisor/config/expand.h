// ${...} variables in config values.
#pragma once

#include "config/limits.h"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace svd::config {

/// What ${...} may refer to at one place in the config.
struct Variables {
    /// ${home}, ${prefix}, ${log_dir}, ${run_dir} as far as defined yet, and
    /// the user's own from [svd] vars.
    std::map<std::string, std::string> values;
    /// ${env:NAME}; nullopt when NAME is unset. Defaults to getenv.
    std::function<std::optional<std::string>(const std::string&)> env;
    /// What a leading "~" stands for; nullopt makes "~" an error.
    std::optional<std::string> user_home;
};

/// The names svd defines, in the order [svd] defines them.
inline constexpr std::string_view kVariableNames[] = {"home", "prefix", "log_dir", "run_dir"};

/// getenv as Variables::env wants it.
std::optional<std::string> getenv_lookup(const std::string& name);

/// $HOME, or the home directory in the password database when HOME is unset.
std::optional<std::string> current_user_home();

/// Replaces in `text`:
///  - ${name} by vars.values[name], ${env:NAME} by the environment variable;
///  - $$ by a single $ (a $ before anything else stays as it is, so
///    `sh -c 'echo $HOME'` survives);
///  - a leading "~" alone or "~/" by vars.user_home ("~user" stays).
/// Values substituted are not expanded again. Fails (nullopt, `*error` says
/// why, with a suggestion when a name is close to a known one) on an unknown
/// or not-yet-defined variable, an unset environment variable, an
/// unterminated "${", or a result longer than kMaxExpandedBytes.
[[nodiscard]] std::optional<std::string> expand(std::string_view text, const Variables& vars, std::string* error);

} // namespace svd::config
