// Reads an env_file: KEY=VALUE lines, '#' comments, optional `export `,
// values in single quotes (literal) or double quotes (\n \" \\ escapes).
// Read at every start, so an edited file takes effect on the next restart.
// Only a regular file of at most kMaxEnvFileBytes is read (a FIFO or
// /dev/zero is an error, never a hang); a line with an unterminated quote or
// a NUL is ignored with a warning naming file:line.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace svd::config {

struct EnvFile {
    std::map<std::string, std::string> values;
    std::string error;                 ///< the file could not be read at all
    std::vector<std::string> warnings; ///< bad lines, loose permissions
};

EnvFile read_env_file(const std::string& path);
/// Parses the text of an env file; `path` only names it in warnings.
EnvFile parse_env_text(const std::string& text, const std::string& path);

} // namespace svd::config
