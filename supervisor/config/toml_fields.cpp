#include "config/toml_fields.h"

#include "config/command_split.h"
#include "config/signals.h"
#include "config/suggest.h"
#include "config/units.h"

#include <cctype>
#include <climits>
#include <cstdint>
#include <cstdio>

namespace svd::config {

Location location_of(const toml::source_region& region, const std::string& file) {
    return Location{file, static_cast<int>(region.begin.line), static_cast<int>(region.begin.column)};
}

const char* toml_type_name(const toml::node& node) {
    switch (node.type()) {
    case toml::node_type::table: return "table";
    case toml::node_type::array: return "array";
    case toml::node_type::string: return "string";
    case toml::node_type::integer: return "integer";
    case toml::node_type::floating_point: return "floating-point number";
    case toml::node_type::boolean: return "boolean";
    case toml::node_type::date: return "date";
    case toml::node_type::time: return "time";
    case toml::node_type::date_time: return "date-time";
    case toml::node_type::none: break;
    }
    return "nothing";
}

std::string type_mismatch(std::string_view expected, std::string_view key, const toml::node& got) {
    return "expected " + std::string(expected) + " for '" + std::string(key) + "', got " + toml_type_name(got);
}

TableFields::TableFields(const toml::table& table, const std::string& file, std::string section,
                         std::string prefix, Diagnostics& diag)
    : table_(table), file_(file), section_(std::move(section)), prefix_(std::move(prefix)), diag_(diag) {}

TableFields::TableFields(const toml::table& table, const std::string& file, std::string section,
                         std::string prefix, const std::vector<std::string>& known_keys, Diagnostics& diag)
    : TableFields(table, file, std::move(section), std::move(prefix), diag) {
    report_unknown_keys(known_keys);
}

void TableFields::report_unknown_keys(const std::vector<std::string>& known_keys) const {
    for (auto&& [key, value] : table_) {
        std::string_view name = key.str();
        bool known = false;
        for (const std::string& candidate : known_keys)
            if (candidate == name) known = true;
        if (known) continue;
        if (diag_.full()) {
            ++diag_.not_kept; // no suggestion searched for an error nobody will see
            continue;
        }
        std::string message = "unknown key '" + prefix_ + std::string(name) + "'";
        if (!section_.empty()) message += " in " + section_;
        if (auto close = closest_match(name, known_keys)) message += "; did you mean '" + prefix_ + *close + "'?";
        diag_.error(location_of(key.source(), file_), std::move(message));
    }
}

Location TableFields::table_where() const { return location_of(table_.source(), file_); }

const toml::node* TableFields::find(std::string_view key) const { return table_.get(key); }

Location TableFields::where(std::string_view key) const {
    const toml::node* node = find(key);
    return node ? where(*node) : table_where();
}

void TableFields::error(std::string_view key, std::string message) const {
    diag_.error(where(key), std::move(message));
}

void TableFields::error(const Location& where, std::string message) const {
    diag_.error(where, std::move(message));
}

void TableFields::missing(std::string_view key) const {
    std::string message = "missing required key '" + name(key) + "'";
    if (!section_.empty()) message += " in " + section_;
    diag_.error(table_where(), std::move(message));
}

std::optional<std::string> TableFields::string(std::string_view key) const {
    const toml::node* node = find(key);
    if (!node) return std::nullopt;
    if (auto value = node->value<std::string>()) return value;
    error(key, type_mismatch("a string", name(key), *node));
    return std::nullopt;
}

std::optional<bool> TableFields::boolean(std::string_view key) const {
    const toml::node* node = find(key);
    if (!node) return std::nullopt;
    if (node->is_boolean()) return node->as_boolean()->get();
    error(key, type_mismatch("true or false", name(key), *node));
    return std::nullopt;
}

std::optional<std::int64_t> TableFields::integer(std::string_view key, std::int64_t min, std::int64_t max) const {
    const toml::node* node = find(key);
    if (!node) return std::nullopt;
    if (!node->is_integer()) {
        error(key, type_mismatch("an integer", name(key), *node));
        return std::nullopt;
    }
    std::int64_t value = node->as_integer()->get();
    if (value > max && max >= INT_MAX) {
        // Limits from INT_MAX up only keep values in an int: "must be at
        // least 0" would be a puzzling answer to 9223372036854775807.
        error(key, "'" + name(key) + "' is too large: " + std::to_string(value) + " (at most " + std::to_string(max) +
                       ")");
        return std::nullopt;
    }
    if (value < min || value > max) {
        std::string range = max >= INT_MAX ? "at least " + std::to_string(min)
                                             : "between " + std::to_string(min) + " and " + std::to_string(max);
        error(key, "'" + name(key) + "' must be " + range + ", not " + std::to_string(value));
        return std::nullopt;
    }
    return value;
}

const toml::table* TableFields::subtable(std::string_view key) const {
    const toml::node* node = find(key);
    if (!node) return nullptr;
    if (const toml::table* table = node->as_table()) return table;
    error(key, type_mismatch("a table", name(key), *node));
    return nullptr;
}

const toml::array* TableFields::array(std::string_view key) const {
    const toml::node* node = find(key);
    if (!node) return nullptr;
    if (const toml::array* array = node->as_array()) return array;
    error(key, type_mismatch("an array", name(key), *node));
    return nullptr;
}

std::optional<std::vector<std::string>> TableFields::strings(std::string_view key) const {
    const toml::node* node = find(key);
    if (!node) return std::nullopt;
    const toml::array* array = node->as_array();
    if (!array) {
        error(key, type_mismatch("an array of strings", name(key), *node));
        return std::nullopt;
    }
    std::vector<std::string> out;
    bool ok = true;
    for (std::size_t i = 0; i < array->size(); ++i) {
        const toml::node& element = *array->get(i);
        if (auto text = element.value<std::string>()) {
            out.push_back(std::move(*text));
        } else {
            error(where(element), type_mismatch("a string", name(key) + "[" + std::to_string(i) + "]", element));
            ok = false;
        }
    }
    if (!ok) return std::nullopt;
    return out;
}

std::optional<std::vector<int>> TableFields::integers(std::string_view key, int min, int max) const {
    const toml::array* array = this->array(key);
    if (!array) return std::nullopt;
    std::vector<int> out;
    bool ok = true;
    for (std::size_t i = 0; i < array->size(); ++i) {
        const toml::node& element = *array->get(i);
        std::string element_name = name(key) + "[" + std::to_string(i) + "]";
        if (!element.is_integer()) {
            error(where(element), type_mismatch("an integer", element_name, element));
            ok = false;
            continue;
        }
        std::int64_t value = element.as_integer()->get();
        if (value < min || value > max) {
            error(where(element), "'" + element_name + "' must be between " + std::to_string(min) + " and " +
                                      std::to_string(max) + ", not " + std::to_string(value));
            ok = false;
            continue;
        }
        out.push_back(static_cast<int>(value));
    }
    if (!ok) return std::nullopt;
    return out;
}

std::optional<Millis> TableFields::duration(std::string_view key) const {
    const toml::node* node = find(key);
    if (!node) return std::nullopt;
    auto text = node->value<std::string>();
    if (!text) {
        std::string message = type_mismatch("a duration string such as \"10s\"", name(key), *node);
        if (node->is_integer()) message += "; add a unit: \"" + std::to_string(node->as_integer()->get()) + "s\"";
        error(key, std::move(message));
        return std::nullopt;
    }
    std::string why;
    auto duration = parse_duration(*text, &why);
    if (!duration) error(key, "invalid duration \"" + *text + "\" for '" + name(key) + "': " + why);
    return duration;
}

std::optional<std::uint64_t> TableFields::size(std::string_view key) const {
    const toml::node* node = find(key);
    if (!node) return std::nullopt;
    if (node->is_integer()) {
        std::int64_t bytes = node->as_integer()->get();
        if (bytes >= 0) return static_cast<std::uint64_t>(bytes);
        error(key, "'" + name(key) + "' cannot be negative");
        return std::nullopt;
    }
    auto text = node->value<std::string>();
    if (!text) {
        error(key, type_mismatch("a size such as \"50MB\"", name(key), *node));
        return std::nullopt;
    }
    std::string why;
    auto bytes = parse_size(*text, &why);
    if (!bytes) error(key, "invalid size \"" + *text + "\" for '" + name(key) + "': " + why);
    return bytes;
}

std::optional<mode_t> TableFields::file_mode(std::string_view key, mode_t max) const {
    const toml::node* node = find(key);
    if (!node) return std::nullopt;
    char max_text[16];
    std::snprintf(max_text, sizeof max_text, "%04o", static_cast<unsigned>(max));
    std::int64_t value = 0;
    if (node->is_integer()) {
        const toml::value<std::int64_t>& integer = *node->as_integer();
        value = integer.get();
        // Written as 660, a mode would silently mean 01224: insist on 0o660.
        if (value != 0 && integer.flags() != toml::value_flags::format_as_octal) {
            error(key, "write '" + name(key) + "' in octal, as a string \"0" + std::to_string(value) +
                           "\" or as 0o" + std::to_string(value));
            return std::nullopt;
        }
    } else if (auto text = node->value<std::string>()) {
        std::string_view digits = *text;
        if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'o' || digits[1] == 'O')) digits.remove_prefix(2);
        bool octal = !digits.empty() && digits.size() <= 6;
        for (char c : digits) octal = octal && c >= '0' && c <= '7';
        if (!octal) {
            error(key, "invalid '" + name(key) + "' \"" + *text + "\": expected octal digits such as \"" +
                           (max <= 0777 ? "022" : "0660") + "\"");
            return std::nullopt;
        }
        for (char c : digits) value = value * 8 + (c - '0');
    } else {
        error(key, type_mismatch("an octal string such as \"0660\"", name(key), *node));
        return std::nullopt;
    }
    if (value < 0 || value > static_cast<std::int64_t>(max)) {
        error(key, "'" + name(key) + "' must be at most " + max_text);
        return std::nullopt;
    }
    return static_cast<mode_t>(value);
}

std::optional<int> TableFields::signal(std::string_view key) const {
    const toml::node* node = find(key);
    if (!node) return std::nullopt;
    std::string text;
    if (node->is_integer()) {
        text = std::to_string(node->as_integer()->get());
    } else if (auto value = node->value<std::string>()) {
        text = *value;
    } else {
        error(key, type_mismatch("a signal name such as \"TERM\"", name(key), *node));
        return std::nullopt;
    }
    if (auto number = signal_number(text)) return number;
    std::string upper;
    for (char c : text) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (upper.rfind("SIG", 0) == 0) upper.erase(0, 3);
    std::string hint = did_you_mean(upper, signal_names());
    if (hint.empty()) hint = " (use a name such as TERM, INT, QUIT or HUP, or a number 1-64)";
    error(key, "unknown signal \"" + text + "\" for '" + name(key) + "'" + hint);
    return std::nullopt;
}

std::optional<std::vector<std::string>> TableFields::command(std::string_view key) const {
    const toml::node* node = find(key);
    if (!node) return std::nullopt;
    if (auto text = node->value<std::string>()) {
        std::string why;
        auto argv = split_command(*text, &why);
        if (!argv) {
            error(key, "cannot split '" + name(key) + "': " + why);
            return std::nullopt;
        }
        if (argv->empty()) {
            error(key, "'" + name(key) + "' is empty");
            return std::nullopt;
        }
        return argv;
    }
    if (!node->is_array()) {
        error(key, type_mismatch("a string or an array of strings", name(key), *node));
        return std::nullopt;
    }
    auto argv = strings(key);
    if (!argv) return std::nullopt;
    if (argv->empty()) {
        error(key, "'" + name(key) + "' is an empty array; it needs at least the program to run");
        return std::nullopt;
    }
    return argv;
}

std::optional<std::size_t> TableFields::choice_index(std::string_view key,
                                                     const std::vector<std::string>& options) const {
    auto text = string(key);
    if (!text) return std::nullopt;
    for (std::size_t i = 0; i < options.size(); ++i)
        if (options[i] == *text) return i;
    std::string list;
    for (std::size_t i = 0; i < options.size(); ++i) {
        if (i > 0) list += i + 1 == options.size() ? " or " : ", ";
        list += "\"" + options[i] + "\"";
    }
    error(key, "invalid value \"" + *text + "\" for '" + name(key) + "': expected " + list +
                   did_you_mean(*text, options));
    return std::nullopt;
}

} // namespace svd::config
