// Expansion of config values, with failures reported at the value.
#pragma once

#include "config/diagnostics.h"
#include "config/expand.h"

#include <optional>
#include <string>
#include <string_view>

namespace svd::config {

/// `path` made absolute against `base` (when relative) and normalized:
/// no "." or ".." parts, no trailing slash.
std::string absolute_path(std::string_view path, const std::string& base);

class ValueExpander {
public:
    /// Relative paths are taken from `base_dir`.
    ValueExpander(Variables vars, std::string base_dir, Diagnostics& diag)
        : vars_(std::move(vars)), base_dir_(std::move(base_dir)), diag_(diag) {}

    /// Defines ${name} for the values expanded from now on.
    void define(const std::string& name, const std::string& value) { vars_.values[name] = value; }
    const Variables& variables() const { return vars_; }
    const std::string& base_dir() const { return base_dir_; }
    void set_base_dir(std::string base_dir) { base_dir_ = std::move(base_dir); }

    /// `value` expanded; on failure reports "cannot expand 'key': why" at `where`.
    /// A NUL character is refused (no argv, environment or path can hold
    /// one), and so is every value once the load's expansion budget
    /// (kMaxTotalExpansionBytes) is spent, reported at the value that spent it.
    std::optional<std::string> text(std::string_view value, const Location& where, std::string_view key) const;
    /// text(), then absolute_path(); an empty result is an error.
    std::optional<std::string> path(std::string_view value, const Location& where, std::string_view key) const;

private:
    Variables vars_;
    std::string base_dir_;
    mutable std::size_t expanded_bytes_ = 0;
    mutable bool budget_reported_ = false;
    Diagnostics& diag_;
};

} // namespace svd::config
