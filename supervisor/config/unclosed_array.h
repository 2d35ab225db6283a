// Where an unclosed array began. toml++ reports a syntax error where it
// noticed it: for `include = ["a",` with no `]`, that is the next table
// header, a line (or many) after the line that is wrong. A cheap scan finds
// the `[` that was never closed, so the error can point at it.
#pragma once

#include "config/nesting.h"

#include <optional>
#include <string_view>

namespace svd::config {

/// The position of the innermost array still open when the text reaches
/// line `error_line`, if that line looks like a table header (`[name]` at
/// its start): a header cannot be inside an array, so the array is what was
/// left unclosed. nullopt otherwise (the error is where toml++ says).
[[nodiscard]] std::optional<NestingPosition> unclosed_array_before(std::string_view text, int error_line);

} // namespace svd::config
