// Reading one config file: whole, bounded in size and nesting, then parsed as TOML.
#include "config/loader.h"

#include "config/expand.h"
#include "config/limits.h"
#include "config/nesting.h"
#include "config/unclosed_array.h"
#include "files/read_file.h"

#include <filesystem>

namespace svd::config::loading {

/// The file parsed, or nullopt with the reason in `diag` (at `opened_from`
/// when given, e.g. the include that named the file).
std::optional<ParsedFile> parse_file(const std::string& path, const std::string& what, Diagnostics& diag,
                                     const Location& opened_from) {
    std::string why;
    auto content = files::read_regular_file(path, kMaxConfigBytes, &why);
    if (!content) {
        diag.error(opened_from, "cannot read " + what + " '" + path + "': " + why);
        return std::nullopt;
    }
    // toml++ recurses once per level of nesting: a file 40,000 levels deep
    // would overflow svd's stack before toml++ could say anything.
    if (auto deep = find_excess_nesting(*content, kMaxNestingDepth)) {
        diag.error(Location{path, deep->line, deep->column},
                   "nested more than " + std::to_string(kMaxNestingDepth) +
                       " levels deep (tables, dotted keys, arrays and inline tables together); svd reads no further");
        return std::nullopt;
    }
    try {
        ParsedFile file;
        file.path = path;
        file.absolute = absolute_path(path, std::filesystem::current_path().string());
        file.table = toml::parse(std::string_view(*content), std::string(path));
        return file;
    } catch (const toml::parse_error& error) {
        Location noticed = location_of(error.source(), path);
        if (auto opened = unclosed_array_before(*content, noticed.line))
            diag.error(Location{path, opened->line, opened->column},
                       "this array is never closed: ']' is missing (TOML noticed at line " +
                           std::to_string(noticed.line) + ": " + std::string(error.description()) + ")");
        else
            diag.error(noticed, std::string(error.description()));
        return std::nullopt;
    }
}

} // namespace svd::config::loading
