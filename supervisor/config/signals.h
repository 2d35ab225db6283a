// Signal names as users write them ("TERM", "SIGTERM", "15") and back.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace svd::config {

/// The number of the signal named `text`: "TERM", "SIGTERM", "term", or a
/// decimal number 1..64. nullopt for anything else.
std::optional<int> signal_number(std::string_view text);

/// "TERM" for SIGTERM; the decimal number for a signal without a name here.
std::string signal_name(int number);

/// Every name signal_number knows, without "SIG", for "did you mean".
std::vector<std::string> signal_names();

} // namespace svd::config
