#include "supervisord/svd_text.h"

#include <cctype>
#include <cstdio>

namespace svctl::supervisord {

bool valid_svd_name(const std::string& name) {
    if (name.empty() || name == "all") return false;
    for (char c : name)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-')) return false;
    return true;
}

std::string svd_name(const std::string& name) {
    std::string out;
    for (char c : name) out += std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-' ? c : '-';
    if (out.empty() || out == "all") out += "-program";
    return out;
}

std::string seconds(long count) { return "\"" + std::to_string(count) + "s\""; }

std::string toml_string(const std::string& text) {
    bool literal_ok = text.find('\'') == std::string::npos;
    for (unsigned char c : text)
        if ((c < 0x20 && c != '\t') || c == 0x7f) literal_ok = false;
    if (literal_ok) return "'" + text + "'";
    std::string out = "\"";
    for (unsigned char c : text) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\t': out += "\\t"; break;
        case '\r': out += "\\r"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        default:
            if (c < 0x20 || c == 0x7f) {
                char escaped[8];
                std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
                out += escaped;
            } else {
                out += static_cast<char>(c);
            }
        }
    }
    return out + "\"";
}

std::string toml_key(const std::string& key) {
    bool bare = !key.empty();
    for (char c : key) bare = bare && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-');
    return bare ? key : toml_string(key);
}

} // namespace svctl::supervisord
