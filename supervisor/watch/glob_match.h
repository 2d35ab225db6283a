// Matching file paths against the globs users write in `watch` and
// `include`: `*` and `?` stay within one path component, `**` spans any
// number of directories, `[...]` is a character class.
#pragma once

#include <string>
#include <string_view>

namespace svd::watch {

/// True when `path` matches `pattern` (both absolute, or both relative).
bool glob_match(std::string_view pattern, std::string_view path);

/// The longest leading directory of `pattern` without any wildcard:
/// "/a/b/**/*.py" → "/a/b". Watching it (recursively) sees every match.
std::string glob_root(std::string_view pattern);

/// Editor droppings that must not trigger anything: vim's .swp/.swx and
/// 4913 probe, emacs' .#lock and #autosave#, backups ending in ~, and
/// temp files of write-then-rename saves (.name.XXXXXX, *.tmp).
bool is_editor_temp_file(std::string_view name);

} // namespace svd::watch
