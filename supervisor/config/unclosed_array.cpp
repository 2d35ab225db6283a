#include "config/unclosed_array.h"

#include <vector>

namespace svd::config {
namespace {

/// True when `line` starts, after blanks, with `[` and holds a `]`: a table
/// header rather than a value.
bool looks_like_header(std::string_view line) {
    std::size_t start = line.find_first_not_of(" \t");
    return start != std::string_view::npos && line[start] == '[' && line.find(']', start) != std::string_view::npos;
}

} // namespace

std::optional<NestingPosition> unclosed_array_before(std::string_view text, int error_line) {
    std::vector<NestingPosition> open; // arrays opened and not yet closed
    int line = 1, column = 0;
    bool after_equals = false; // a `[` is an array only as (part of) a value
    std::size_t line_start = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        ++column;
        if (c == '\n') {
            ++line;
            column = 0;
            line_start = i + 1;
            if (open.empty()) after_equals = false;
            if (line == error_line) break;
            continue;
        }
        if (c == '#') { // a comment runs to the end of the line
            while (i + 1 < text.size() && text[i + 1] != '\n') ++i;
            continue;
        }
        if (c == '"' || c == '\'') { // a string on one line (multi-line ones rarely hold brackets)
            while (i + 1 < text.size() && text[i + 1] != c && text[i + 1] != '\n') {
                if (c == '"' && text[i + 1] == '\\') ++i, ++column;
                ++i, ++column;
            }
            if (i + 1 < text.size() && text[i + 1] == c) ++i, ++column;
            continue;
        }
        if (c == '=') after_equals = true;
        else if (c == '[' && (after_equals || !open.empty())) open.push_back({line, column});
        else if (c == ']' && !open.empty()) open.pop_back();
    }
    if (line != error_line || open.empty()) return std::nullopt;
    std::size_t end = text.find('\n', line_start);
    std::string_view error_text = text.substr(line_start, end == std::string_view::npos ? text.npos : end - line_start);
    if (!looks_like_header(error_text)) return std::nullopt;
    return open.back();
}

} // namespace svd::config
