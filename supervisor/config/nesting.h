// How deep a TOML text nests, found by a cheap scan of its bytes before
// toml++ parses it: toml++ recurses (and builds tables inside tables) once
// per level, so `[a.a.a…]` 40,000 levels deep overflows the stack (the
// limit: kMaxNestingDepth in config/limits.h).
#pragma once

#include "config/limits.h"

#include <optional>
#include <string_view>

namespace svd::config {

struct NestingPosition {
    int line = 0;   ///< 1-based, as toml++ counts
    int column = 0; ///< 1-based, in bytes
};

/// Where `text` first nests deeper than `max_depth`, or nullopt. Reads TOML's
/// lexical structure only (strings, comments, brackets, dots in keys); any
/// syntax error is left for toml++ to report. One pass, no allocation.
[[nodiscard]] std::optional<NestingPosition> find_excess_nesting(std::string_view text, int max_depth);

} // namespace svd::config
