// Writing svd's side of the import: program names svd accepts, TOML
// strings and keys, durations.
#pragma once

#include <string>

namespace svctl::supervisord {

/// A name svd takes as it is: letters, digits, '_', '.', '-', and not "all".
bool valid_svd_name(const std::string& name);
/// `name` with every other character made a '-' ("all" gets "-program").
std::string svd_name(const std::string& name);
/// `count` seconds as an svd duration: "30s", quotes included.
std::string seconds(long count);

/// `text` as a TOML string: a literal '...' when that needs no escape,
/// else a basic "..." string with escapes.
std::string toml_string(const std::string& text);
/// `key` bare when TOML allows it, else quoted.
std::string toml_key(const std::string& key);

} // namespace svctl::supervisord
