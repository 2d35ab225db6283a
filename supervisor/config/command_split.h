// Splits a command line into argv the way a POSIX shell would quote it,
// without running a shell: no globbing, no variables, no pipes.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace svd::config {

/// Splits `command` into words:
///  - spaces, tabs and newlines separate words;
///  - '...' is literal;
///  - "..." is literal except \" \\ \$ \` which give the second character
///    (any other backslash stays, as in sh);
///  - outside quotes, a backslash makes the next character literal, and
///    backslash-newline is dropped;
///  - '' and "" make an empty word.
/// On an unterminated quote or a trailing backslash, returns nullopt, sets
/// `*error`, and sets `*error_offset` (when given) to the 0-based byte offset
/// of the opening quote or the backslash. An empty or all-blank command gives
/// an empty vector, which callers reject as they see fit.
std::optional<std::vector<std::string>> split_command(std::string_view command, std::string* error,
                                                      std::size_t* error_offset = nullptr);

/// The inverse, for messages and logs: words joined by spaces, each quoted
/// only when needed, so that split_command(join_command(argv)) == argv.
std::string join_command(const std::vector<std::string>& argv);

} // namespace svd::config
