#include "supervisord/ini.h"

#include <ini.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace svctl::supervisord {
namespace {

/// Feeds inih one line at a time (as fgets would) and knows which line that
/// is, since Debian's inih calls the handler without a line number.
struct Reader {
    std::string content;
    std::size_t pos = 0;
    int line = 0;
    bool at_line_start = true;
    std::size_t line_start = 0;

    /// The text of the line being parsed, without its newline.
    std::string_view current_line() const {
        std::string_view all(content);
        std::size_t end = all.find('\n', line_start);
        return all.substr(line_start, end == std::string_view::npos ? std::string_view::npos : end - line_start);
    }
};

char* read_line(char* buffer, int size, void* stream) {
    auto* reader = static_cast<Reader*>(stream);
    if (reader->pos >= reader->content.size() || size <= 1) return nullptr;
    if (reader->at_line_start) {
        ++reader->line;
        reader->line_start = reader->pos;
    }
    std::size_t room = static_cast<std::size_t>(size - 1);
    std::size_t n = 0;
    while (n < room && reader->pos < reader->content.size()) {
        char c = reader->content[reader->pos++];
        buffer[n++] = c;
        if (c == '\n') break;
    }
    buffer[n] = '\0';
    reader->at_line_start = n > 0 && buffer[n - 1] == '\n';
    return buffer;
}

struct Builder {
    Reader reader;
    IniFile file;
    std::string last_section;
    std::string last_key;
    int last_line = 0;

    IniSection& section(const std::string& name) {
        for (IniSection& existing : file.sections)
            if (existing.name == name) return existing;
        IniSection created;
        created.name = name;
        // inih reports no section headers: find this one above the current line.
        created.line = reader.line;
        std::istringstream lines(reader.content);
        std::string text;
        for (int number = 1; std::getline(lines, text) && number <= reader.line; ++number) {
            auto open = text.find_first_not_of(" \t");
            if (open != std::string::npos && text[open] == '[' && text.compare(open + 1, name.size(), name) == 0 &&
                text.size() > open + 1 + name.size() && text[open + 1 + name.size()] == ']')
                created.line = number;
        }
        file.sections.push_back(std::move(created));
        return file.sections.back();
    }

    void add(const char* section_name, const char* key_name, const char* value) {
        std::string key = key_name;
        std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
        IniSection& target = section(section_name);
        std::string_view raw = reader.current_line();
        bool continuation = !raw.empty() && (raw[0] == ' ' || raw[0] == '\t') && section_name == last_section &&
                            key == last_key && reader.line != last_line;
        last_section = section_name;
        last_key = key;
        last_line = reader.line;
        for (auto& [existing, existing_value] : target.keys) {
            if (existing != key) continue;
            if (continuation) {
                existing_value.text += existing_value.text.empty() ? "" : "\n";
                existing_value.text += value;
            } else {
                existing_value = IniValue{value, reader.line};
            }
            return;
        }
        target.keys.emplace_back(key, IniValue{value, reader.line});
    }
};

int on_value(void* user, const char* section, const char* name, const char* value) {
    static_cast<Builder*>(user)->add(section, name, value ? value : "");
    return 1;
}

} // namespace

const IniValue* IniSection::find(const std::string& key) const {
    for (const auto& [name, value] : keys)
        if (name == key) return &value;
    return nullptr;
}

const IniSection* IniFile::find(const std::string& name) const {
    for (const IniSection& section : sections)
        if (section.name == name) return &section;
    return nullptr;
}

std::optional<IniFile> read_ini(const std::string& path, std::string& error) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        error = "cannot read " + path + ": " + std::strerror(errno);
        return std::nullopt;
    }
    Builder builder;
    builder.reader.content.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    builder.file.path = path;
    std::error_code ignored;
    builder.file.directory = std::filesystem::absolute(path, ignored).parent_path().lexically_normal().string();
    if (builder.file.directory.size() > 1 && builder.file.directory.back() == '/') builder.file.directory.pop_back();

    // As supervisord's configparser: comments start with ';' or '#', also
    // after a value when whitespace precedes them; values continue on
    // indented lines; lines of any length (a heap buffer that grows).
    static char comment_prefixes[] = ";#";
    ini_start_comment_prefixes = comment_prefixes;
    ini_inline_comment_prefixes = comment_prefixes;
    ini_allow_inline_comments = true;
    ini_allow_multiline = true;
    ini_use_stack = false;
    ini_allow_realloc = true;
    ini_max_line = 1 << 20;
    ini_stop_on_first_error = false;

    int status = ini_parse_stream(read_line, &builder.reader, on_value, &builder);
    if (status == -2) {
        error = "out of memory while reading " + path;
        return std::nullopt;
    }
    if (status != 0) {
        error = path + ":" + std::to_string(status) + ": not a [section] header nor a 'key = value' line";
        return std::nullopt;
    }
    return std::move(builder.file);
}

} // namespace svctl::supervisord
