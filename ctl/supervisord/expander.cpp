#include "supervisord/expander.h"

#include "supervisord/values.h"
#include "text/join.h"

#include <cctype>
#include <cstdio>
#include <cstdlib>

namespace svctl::supervisord {
namespace {

/// Text as svd reads it literally: a '$' that svd would take for the start
/// of ${...} or $$ is doubled.
std::string escape_dollars(std::string_view literal) {
    std::string out;
    for (std::size_t i = 0; i < literal.size(); ++i) {
        out += literal[i];
        if (literal[i] == '$' && (i + 1 == literal.size() || literal[i + 1] == '{' || literal[i + 1] == '$'))
            out += '$';
    }
    return out;
}

} // namespace

std::optional<std::string> Expander::svd_text(std::string_view text, std::string& error) {
    std::string out, literal;
    auto flush = [&] {
        out += escape_dollars(literal);
        literal.clear();
    };
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%' || i + 1 >= text.size()) {
            literal += text[i];
            continue;
        }
        if (text[i + 1] == '%') {
            literal += '%';
            ++i;
            continue;
        }
        if (text[i + 1] != '(') {
            literal += '%'; // supervisord itself would refuse this; keep it as written
            continue;
        }
        auto close = text.find(')', i + 2);
        if (close == std::string_view::npos) {
            error = "unterminated '%(' in \"" + std::string(text) + "\"";
            return std::nullopt;
        }
        std::string name(text.substr(i + 2, close - i - 2));
        // Conversion spec: flags, width, precision, type.
        std::size_t j = close + 1;
        std::string flags;
        while (j < text.size() && std::string_view("#0- +").find(text[j]) != std::string_view::npos) flags += text[j++];
        int width = 0;
        while (j < text.size() && std::isdigit(static_cast<unsigned char>(text[j]))) width = width * 10 + (text[j++] - '0');
        if (j < text.size() && text[j] == '.') {
            ++j;
            while (j < text.size() && std::isdigit(static_cast<unsigned char>(text[j]))) ++j;
        }
        if (j >= text.size()) {
            error = "missing conversion type after '%(" + name + ")' in \"" + std::string(text) + "\"";
            return std::nullopt;
        }
        char type = text[j];
        std::string value;
        if (starts_with(name, "ENV_")) {
            flush();
            out += "${env:" + name.substr(4) + "}";
            i = j;
            continue;
        }
        auto found = values.find(name);
        if (found == values.end()) {
            std::string known = svd::text::join(values, ", ", [](const auto& entry) { return entry.first; });
            error = "unknown expansion %(" + name + ")" + type + " (supervisord knows " + known + ", ENV_NAME)";
            return std::nullopt;
        }
        if (name == "host_node_name") uses_host = true;
        if (type == 's' || type == 'r') {
            value = found->second;
        } else if (type == 'd' || type == 'i' || type == 'u') {
            char buffer[64];
            long number = std::strtol(found->second.c_str(), nullptr, 10);
            std::string format = "%" + flags + (width ? std::to_string(width) : "") + "ld";
            std::snprintf(buffer, sizeof buffer, format.c_str(), number);
            value = buffer;
        } else {
            error = std::string("unsupported conversion '") + type + "' in %(" + name + ")" + type;
            return std::nullopt;
        }
        if (type == 's' && width > 0 && value.size() < static_cast<std::size_t>(width))
            value = flags.find('-') != std::string::npos ? value + std::string(width - value.size(), ' ')
                                                        : std::string(width - value.size(), ' ') + value;
        literal += value;
        i = j;
    }
    flush();
    return out;
}

std::optional<std::string> Expander::literal(std::string_view text, std::string& error) {
    auto expanded = svd_text(text, error);
    if (!expanded) return std::nullopt;
    if (expanded->find("${env:") != std::string::npos) {
        error = "uses %(ENV_...)s, which svd expands only in strings such as command and environment";
        return std::nullopt;
    }
    std::string out;
    for (std::size_t i = 0; i < expanded->size(); ++i) {
        out += (*expanded)[i];
        if ((*expanded)[i] == '$' && i + 1 < expanded->size() && (*expanded)[i + 1] == '$') ++i;
    }
    return out;
}

} // namespace svctl::supervisord
