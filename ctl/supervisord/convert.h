// supervisord config → svd TOML drop-ins, for `svctl import`.
//
// Each [program:x] becomes one drop-in x.toml holding [program.NAME] for
// each of its processes (numprocs > 1 gives NAME per process_name). What svd
// does differently, or cannot do (groups, priority, users, log paths), is
// said in a comment next to the program and in a note for the user.
#pragma once

#include "supervisord/svd_text.h" // toml_string, toml_key

#include <optional>
#include <string>
#include <vector>

namespace svctl::supervisord {

/// Something the user should know: what was not mapped, or mapped loosely.
struct Note {
    std::string where;   ///< "file:line" or "file:line [program:x]"
    std::string message; ///< "user=www-data: svd cannot switch user; ..."
    std::string str() const { return where + ": " + message; }
};

struct OutputFile {
    std::string name; ///< "web.toml"
    std::string text; ///< a drop-in that svd reads as it is
    std::vector<std::string> programs; ///< the [program.NAME]s it defines
};

struct Conversion {
    std::vector<OutputFile> files;
    std::vector<Note> notes;
    std::vector<Note> errors; ///< programs that were not converted, and why
};

/// Reads `path` (and the files its [include] names) and converts every
/// program. Returns nullopt with `error` set when the file itself cannot be
/// read or parsed; a program that cannot be converted is an entry in
/// `errors`, and the others are still converted.
[[nodiscard]] std::optional<Conversion> convert(const std::string& path, std::string& error);

} // namespace svctl::supervisord
