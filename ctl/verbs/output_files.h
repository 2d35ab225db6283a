// Writing what import and export generate: to a directory, never half a
// file and never over the user's files unless asked; or to stdout.
#pragma once

#include <string>
#include <vector>

namespace svctl {

struct OutputFile {
    std::string name; ///< file name inside the output directory
    std::string text;
};

/// Each file to stdout, after a "# ---- NAME ----" line.
void print_files(const std::vector<OutputFile>& files);

/// Creates `dir` (and parents) and writes every file through a temporary
/// and a rename. Refuses, before writing any, when one exists and `force`
/// is false. Prints why on failure, prefixed by `who`.
[[nodiscard]] bool write_files(const std::string& dir, const std::vector<OutputFile>& files, bool force, const std::string& who);

} // namespace svctl
