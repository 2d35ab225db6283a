#include "config/env_file.h"

#include "config/limits.h"
#include "files/read_file.h"

#include <cctype>
#include <cstring>
#include <sstream>
#include <sys/stat.h>

namespace svd::config {
namespace {

std::string trim(const std::string& text) {
    std::size_t begin = 0, end = text.size();
    while (begin < end && std::isspace(static_cast<unsigned char>(text[begin]))) ++begin;
    while (end > begin && std::isspace(static_cast<unsigned char>(text[end - 1]))) --end;
    return text.substr(begin, end - begin);
}

bool valid_key(const std::string& key) {
    if (key.empty() || std::isdigit(static_cast<unsigned char>(key[0]))) return false;
    for (char c : key)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
    return true;
}

} // namespace

EnvFile parse_env_text(const std::string& text, const std::string& path) {
    EnvFile file;
    std::istringstream lines(text);
    std::string line;
    int number = 0;
    while (std::getline(lines, line)) {
        ++number;
        std::string content = trim(line);
        if (content.empty() || content[0] == '#') continue;
        if (content.rfind("export ", 0) == 0) content = trim(content.substr(7));
        auto eq = content.find('=');
        std::string key = eq == std::string::npos ? content : trim(content.substr(0, eq));
        if (eq == std::string::npos || !valid_key(key)) {
            file.warnings.push_back(path + ":" + std::to_string(number) + ": ignored: expected KEY=VALUE");
            continue;
        }
        const std::string where = path + ":" + std::to_string(number) + ": ";
        if (content.find('\0') != std::string::npos) {
            file.warnings.push_back(where + "ignored: the line holds a NUL character");
            continue;
        }
        std::string raw = trim(content.substr(eq + 1));
        std::string value;
        bool closed = true;
        if (!raw.empty() && raw[0] == '\'') {
            auto close = raw.find('\'', 1);
            closed = close != std::string::npos;
            value = raw.substr(1, closed ? close - 1 : std::string::npos);
        } else if (!raw.empty() && raw[0] == '"') {
            closed = false;
            for (std::size_t i = 1; i < raw.size(); ++i) {
                if (raw[i] == '"') {
                    closed = true;
                    break;
                }
                if (raw[i] == '\\' && i + 1 < raw.size()) {
                    char next = raw[++i];
                    value += next == 'n' ? '\n' : next == 't' ? '\t' : next;
                } else {
                    value += raw[i];
                }
            }
        } else {
            // Unquoted: a ' #' starts a comment, as in shell.
            auto comment = raw.find(" #");
            value = trim(comment == std::string::npos ? raw : raw.substr(0, comment));
        }
        if (!closed) {
            // A value that runs on past its line is how a quote typo looks;
            // taking the rest of the line would hide it.
            file.warnings.push_back(where + "ignored: " + key + "'s value has no closing " +
                                    (raw[0] == '"' ? "\"" : "'"));
            continue;
        }
        file.values[key] = value;
    }
    return file;
}

EnvFile read_env_file(const std::string& path) {
    std::string why;
    auto text = files::read_regular_file(path, kMaxEnvFileBytes, &why);
    if (!text) {
        EnvFile file;
        file.error = "env_file " + path + ": " + why;
        return file;
    }
    EnvFile file = parse_env_text(*text, path);
    struct stat info {};
    if (stat(path.c_str(), &info) == 0 && (info.st_mode & 077) != 0) {
        bool secret = false;
        for (const auto& [key, value] : file.values) {
            std::string upper;
            for (char c : key) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            for (const char* word : {"PASS", "SECRET", "TOKEN", "KEY"})
                if (upper.find(word) != std::string::npos) secret = true;
        }
        if (secret)
            file.warnings.push_back("env_file " + path + " holds secrets but is readable by others (mode " +
                                    [&] {
                                        char mode[8];
                                        snprintf(mode, sizeof mode, "%04o", info.st_mode & 07777);
                                        return std::string(mode);
                                    }() +
                                    "); chmod 600 it");
    }
    return file;
}

} // namespace svd::config
