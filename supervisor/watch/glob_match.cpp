#include "watch/glob_match.h"

namespace svd::watch {
namespace {

/// Matches one character class "[...]" at pattern[p] against c; advances p past it.
bool match_class(std::string_view pattern, std::size_t& p, char c) {
    std::size_t i = p + 1;
    bool negate = i < pattern.size() && (pattern[i] == '!' || pattern[i] == '^');
    if (negate) ++i;
    bool matched = false;
    bool first = true;
    while (i < pattern.size() && (first || pattern[i] != ']')) {
        first = false;
        if (i + 2 < pattern.size() && pattern[i + 1] == '-' && pattern[i + 2] != ']') {
            if (c >= pattern[i] && c <= pattern[i + 2]) matched = true;
            i += 3;
        } else {
            if (c == pattern[i]) matched = true;
            ++i;
        }
    }
    p = i < pattern.size() ? i + 1 : i;
    return matched != negate;
}

bool match_from(std::string_view pattern, std::size_t p, std::string_view path, std::size_t s) {
    while (p < pattern.size()) {
        if (pattern.compare(p, 2, "**") == 0) {
            // "**/" matches zero or more whole directories; "**" at the end matches the rest.
            std::size_t next = p + 2;
            if (next < pattern.size() && pattern[next] == '/') ++next;
            for (std::size_t i = s; i <= path.size(); ++i) {
                if ((i == s || path[i - 1] == '/') && match_from(pattern, next, path, i)) return true;
            }
            return next >= pattern.size();
        }
        char c = pattern[p];
        if (c == '*') {
            for (std::size_t i = s; i <= path.size(); ++i) {
                if (match_from(pattern, p + 1, path, i)) return true;
                if (i < path.size() && path[i] == '/') break;
            }
            return false;
        }
        if (s >= path.size()) return false;
        if (c == '?') {
            if (path[s] == '/') return false;
            ++p;
            ++s;
            continue;
        }
        if (c == '[') {
            if (path[s] == '/' || !match_class(pattern, p, path[s])) return false;
            ++s;
            continue;
        }
        if (c != path[s]) return false;
        ++p;
        ++s;
    }
    return s == path.size();
}

} // namespace

bool glob_match(std::string_view pattern, std::string_view path) { return match_from(pattern, 0, path, 0); }

std::string glob_root(std::string_view pattern) {
    std::size_t wildcard = pattern.find_first_of("*?[");
    std::string_view fixed = pattern.substr(0, wildcard);
    if (wildcard == std::string_view::npos) {
        // No wildcard: a file (watch its directory) or a directory itself.
        auto slash = fixed.rfind('/');
        return slash == std::string_view::npos ? std::string(".") : std::string(fixed.substr(0, slash ? slash : 1));
    }
    auto slash = fixed.rfind('/');
    if (slash == std::string_view::npos) return ".";
    return std::string(fixed.substr(0, slash ? slash : 1));
}

bool is_editor_temp_file(std::string_view name) {
    auto ends_with = [&](std::string_view suffix) {
        return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    if (name.empty()) return true;
    if (name == "4913") return true;
    if (name.front() == '.' && (ends_with(".swp") || ends_with(".swx") || ends_with(".swo"))) return true;
    if (name.rfind(".#", 0) == 0) return true;
    if (name.front() == '#' && ends_with("#")) return true;
    if (ends_with("~") || ends_with(".tmp") || ends_with(".part")) return true;
    // sed -i, many editors and atomic writers: ".name.XXXXXX" hidden temp files
    if (name.front() == '.' && name.size() > 8 && name.find('.', 1) != std::string_view::npos) return true;
    return false;
}

} // namespace svd::watch
