// Reading supervisord's values as its Python code does: booleans, whole
// numbers, environment lists, and the string helpers they need.
#pragma once

#include <climits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace svctl::supervisord {

std::string lower(std::string text);
std::string trim(std::string_view text);
bool starts_with(std::string_view text, std::string_view prefix);

/// true/yes/on/1 and false/no/off/0, any case; nullopt for anything else.
std::optional<bool> parse_bool(const std::string& text);
/// Digits only (after trimming), within [min, max].
std::optional<long> parse_integer(const std::string& text, long min = 0, long max = INT_MAX);
/// supervisord's environment: KEY="value",KEY2=value2 (quotes keep commas).
std::optional<std::vector<std::pair<std::string, std::string>>> parse_environment(std::string_view text,
                                                                                   std::string& error);

} // namespace svctl::supervisord
