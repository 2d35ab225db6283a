// A supervisord config file read as supervisord's Python configparser reads
// it: [sections] of key = value (or key: value), option names lower-cased,
// ';' and '#' comments (inline ones after whitespace), indented lines
// continuing the value above, the last of a repeated key winning. The
// parsing itself is Debian's inih; this adds line numbers and continuations.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace svctl::supervisord {

struct IniValue {
    std::string text; ///< continuation lines joined with "\n"
    int line = 0;     ///< where the key was written
};

struct IniSection {
    std::string name; ///< as written between the brackets, e.g. "program:web"
    int line = 0;     ///< of the [header]
    /// In the order first written; a key written again replaces the value.
    std::vector<std::pair<std::string, IniValue>> keys;

    const IniValue* find(const std::string& key) const;
    bool has(const std::string& key) const { return find(key) != nullptr; }
};

struct IniFile {
    std::string path;      ///< as given
    std::string directory; ///< absolute directory of the file: supervisord's %(here)s
    std::vector<IniSection> sections;

    /// The first section called `name`, or null.
    const IniSection* find(const std::string& name) const;
};

/// Reads `path`. On failure returns nullopt with `error` saying why
/// ("cannot read ...: No such file or directory", "line 7: ...").
[[nodiscard]] std::optional<IniFile> read_ini(const std::string& path, std::string& error);

} // namespace svctl::supervisord
