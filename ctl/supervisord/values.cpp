#include "supervisord/values.h"

#include <algorithm>
#include <cctype>

namespace svctl::supervisord {

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
    return text;
}

std::string trim(std::string_view text) {
    auto begin = text.find_first_not_of(" \t\r\n");
    if (begin == std::string_view::npos) return {};
    auto end = text.find_last_not_of(" \t\r\n");
    return std::string(text.substr(begin, end - begin + 1));
}

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

std::optional<bool> parse_bool(const std::string& text) {
    std::string value = lower(trim(text));
    if (value == "true" || value == "yes" || value == "on" || value == "1") return true;
    if (value == "false" || value == "no" || value == "off" || value == "0") return false;
    return std::nullopt;
}

std::optional<long> parse_integer(const std::string& text, long min, long max) {
    std::string value = trim(text);
    if (value.empty() || value.size() > 10) return std::nullopt;
    for (char c : value)
        if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    long number = std::stol(value);
    if (number < min || number > max) return std::nullopt;
    return number;
}

std::optional<std::vector<std::pair<std::string, std::string>>> parse_environment(std::string_view text,
                                                                                   std::string& error) {
    std::vector<std::pair<std::string, std::string>> pairs;
    std::size_t i = 0;
    auto skip_separators = [&] {
        while (i < text.size() && (text[i] == ',' || std::isspace(static_cast<unsigned char>(text[i])))) ++i;
    };
    skip_separators();
    while (i < text.size()) {
        std::size_t key_start = i;
        while (i < text.size() && text[i] != '=' && text[i] != ',' && !std::isspace(static_cast<unsigned char>(text[i])))
            ++i;
        std::string key(text.substr(key_start, i - key_start));
        while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
        if (key.empty() || i >= text.size() || text[i] != '=') {
            error = "expected KEY=value pairs separated by commas, at \"" + std::string(text.substr(key_start)) + "\"";
            return std::nullopt;
        }
        ++i;
        while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i])) && text[i] != '\n') ++i;
        std::string value;
        if (i < text.size() && (text[i] == '"' || text[i] == '\'')) {
            char quote = text[i++];
            auto close = text.find(quote, i);
            if (close == std::string_view::npos) {
                error = "unterminated quote in the value of " + key;
                return std::nullopt;
            }
            value = std::string(text.substr(i, close - i));
            i = close + 1;
        } else {
            std::size_t value_start = i;
            while (i < text.size() && text[i] != ',' && text[i] != '\n') ++i;
            value = trim(text.substr(value_start, i - value_start));
        }
        bool replaced = false;
        for (auto& [existing, existing_value] : pairs)
            if (existing == key) existing_value = value, replaced = true;
        if (!replaced) pairs.emplace_back(key, value);
        skip_separators();
    }
    return pairs;
}

} // namespace svctl::supervisord
