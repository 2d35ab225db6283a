#include "config/value_expander.h"

#include <filesystem>

namespace svd::config {

std::string absolute_path(std::string_view path, const std::string& base) {
    std::filesystem::path result(path);
    if (result.is_relative()) result = std::filesystem::path(base) / result;
    std::string normal = result.lexically_normal().string();
    while (normal.size() > 1 && normal.back() == '/') normal.pop_back();
    return normal;
}

std::optional<std::string> ValueExpander::text(std::string_view value, const Location& where,
                                               std::string_view key) const {
    if (expanded_bytes_ > kMaxTotalExpansionBytes) {
        // Reported once, where it happened; the config is refused anyway.
        if (!budget_reported_)
            diag_.error(where, "the config's values expand to more than " +
                                   std::to_string(kMaxTotalExpansionBytes >> 20) +
                                   " MiB in all (at '" + std::string(key) + "'); use fewer or shorter ${...}");
        budget_reported_ = true;
        return std::nullopt;
    }
    std::string why;
    auto expanded = expand(value, vars_, &why);
    if (!expanded) {
        diag_.error(where, "cannot expand '" + std::string(key) + "': " + why);
        return expanded;
    }
    expanded_bytes_ += expanded->size();
    if (expanded->find('\0') != std::string::npos) {
        diag_.error(where, "'" + std::string(key) +
                               "' holds a NUL character (\\u0000), which no argument, environment value or path can");
        return std::nullopt;
    }
    if (expanded_bytes_ > kMaxTotalExpansionBytes) return text(value, where, key); // reports the budget
    return expanded;
}

std::optional<std::string> ValueExpander::path(std::string_view value, const Location& where,
                                               std::string_view key) const {
    auto expanded = text(value, where, key);
    if (!expanded) return std::nullopt;
    if (expanded->empty()) {
        diag_.error(where, "'" + std::string(key) + "' is an empty path");
        return std::nullopt;
    }
    std::string absolute = absolute_path(*expanded, base_dir_);
    if (absolute.size() > kMaxPathBytes) {
        diag_.error(where, "'" + std::string(key) + "' is a path of " + std::to_string(absolute.size()) +
                               " bytes; the limit is " + std::to_string(kMaxPathBytes) + " (PATH_MAX)");
        return std::nullopt;
    }
    return absolute;
}

} // namespace svd::config
