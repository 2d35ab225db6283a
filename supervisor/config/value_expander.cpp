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
    std::string why;
    auto expanded = expand(value, vars_, &why);
    if (!expanded) diag_.error(where, "cannot expand '" + std::string(key) + "': " + why);
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
    return absolute_path(*expanded, base_dir_);
}

} // namespace svd::config
