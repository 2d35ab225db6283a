// Typed, located access to the keys of one TOML table. Every wrong type,
// bad value or unknown key becomes a ConfigError at the user's text; the
// getters then return nullopt and the caller keeps its default.
#pragma once

#include "config/diagnostics.h"
#include "config/model.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include "config/toml.h"
#include <utility>
#include <vector>

namespace svd::config {

Location location_of(const toml::source_region& region, const std::string& file);

/// "string", "integer", "floating-point number", "boolean", "table", ...
const char* toml_type_name(const toml::node& node);

/// "expected a string for 'command', got integer"
std::string type_mismatch(std::string_view expected, std::string_view key, const toml::node& got);

class TableFields {
public:
    /// `section` names the table in messages ("[program.web]", or "" at the
    /// top of a file); `prefix` goes before key names in messages ("log.").
    /// Reports every key of `table` not in `known_keys` right away.
    TableFields(const toml::table& table, const std::string& file, std::string section, std::string prefix,
                const std::vector<std::string>& known_keys, Diagnostics& diag);
    /// For tables whose keys are names the user chose (requires, environment):
    /// no key is unknown.
    TableFields(const toml::table& table, const std::string& file, std::string section, std::string prefix,
                Diagnostics& diag);

    const toml::table& table() const { return table_; }
    const std::string& file() const { return file_; }
    const std::string& section() const { return section_; }
    /// Where the table itself was written (its [header] or its "{").
    Location table_where() const;

    /// The value of `key`, or nullptr when absent.
    const toml::node* find(std::string_view key) const;
    bool has(std::string_view key) const { return find(key) != nullptr; }
    /// Where the value of `key` was written; the table's location if absent.
    Location where(std::string_view key) const;
    Location where(const toml::node& node) const { return location_of(node.source(), file_); }
    /// The key as messages name it: prefix + key.
    std::string name(std::string_view key) const { return prefix_ + std::string(key); }
    /// Reports `message` at the value of `key`.
    void error(std::string_view key, std::string message) const;
    void error(const Location& where, std::string message) const;
    /// Reports "missing required key 'key' in [section]" at the table.
    void missing(std::string_view key) const;

    std::optional<std::string> string(std::string_view key) const;
    std::optional<bool> boolean(std::string_view key) const;
    /// An integer in [min, max].
    std::optional<std::int64_t> integer(std::string_view key, std::int64_t min, std::int64_t max) const;
    const toml::table* subtable(std::string_view key) const;
    const toml::array* array(std::string_view key) const;
    /// An array whose every element is a string (elements of other types are reported).
    std::optional<std::vector<std::string>> strings(std::string_view key) const;
    /// An array whose every element is an integer in [min, max].
    std::optional<std::vector<int>> integers(std::string_view key, int min, int max) const;
    /// A duration string ("30s"); see parse_duration.
    std::optional<Millis> duration(std::string_view key) const;
    /// A size string ("50MB") or a byte count as an integer.
    std::optional<std::uint64_t> size(std::string_view key) const;
    /// Permission bits: an octal string ("0660", "022") or an integer written
    /// in octal (0o660), at most `max`.
    std::optional<mode_t> file_mode(std::string_view key, mode_t max) const;
    /// A signal name ("TERM", "SIGINT") or number.
    std::optional<int> signal(std::string_view key) const;
    /// A command: a string split like a shell would, or a non-empty array of
    /// strings. Not expanded.
    std::optional<std::vector<std::string>> command(std::string_view key) const;

    /// One of `options`, returned by index.
    std::optional<std::size_t> choice_index(std::string_view key, const std::vector<std::string>& options) const;

    template <typename Enum>
    std::optional<Enum> choice(std::string_view key,
                               const std::vector<std::pair<std::string, Enum>>& options) const {
        std::vector<std::string> names;
        for (const auto& option : options) names.push_back(option.first);
        auto index = choice_index(key, names);
        if (!index) return std::nullopt;
        return options[*index].second;
    }

private:
    void report_unknown_keys(const std::vector<std::string>& known_keys) const;

    const toml::table& table_;
    std::string file_;
    std::string section_;
    std::string prefix_;
    Diagnostics& diag_;
};

} // namespace svd::config
