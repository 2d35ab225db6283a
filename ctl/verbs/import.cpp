#include "verbs/import.h"

#include "supervisord/convert.h"
#include "verbs/output_files.h"
#include "verbs/verbs.h"

#include <iostream>

namespace svctl {
namespace {

const char* kImportUsage =
    "usage: svctl import SUPERVISORD.CONF [--out DIR] [--force]\n"
    "  converts [program:x] sections (and the files [include] names) into svd drop-ins:\n"
    "  one DIR/x.toml per program, or all of them on stdout without --out.\n"
    "  What svd cannot do as supervisord did is printed on stderr.\n"
    "  --force  overwrite drop-ins that already exist in DIR\n";

} // namespace

int run_import(const std::vector<std::string>& args) {
    std::string input, out_dir;
    bool force = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if ((arg == "--out" || arg == "-o") && i + 1 < args.size()) out_dir = args[++i];
        else if (arg.rfind("--out=", 0) == 0) out_dir = arg.substr(6);
        else if (arg == "--force" || arg == "-f") force = true;
        else if (arg == "--help" || arg == "-h") {
            std::cout << kImportUsage;
            return kOk;
        } else if (!arg.empty() && arg[0] == '-' && arg != "-") {
            std::cerr << "svctl import: unknown option '" << arg << "'\n" << kImportUsage;
            return kUsage;
        } else if (input.empty()) input = arg;
        else {
            std::cerr << "svctl import: one supervisord config at a time (got '" << input << "' and '" << arg << "')\n"
                      << kImportUsage;
            return kUsage;
        }
    }
    if (input.empty()) {
        std::cerr << "svctl import: which supervisord config? e.g. svctl import /etc/supervisor/supervisord.conf\n"
                  << kImportUsage;
        return kUsage;
    }

    std::string error;
    auto conversion = supervisord::convert(input, error);
    if (!conversion) {
        std::cerr << "svctl import: " << error << "\n";
        return kFailed;
    }
    for (const auto& note : conversion->notes) std::cerr << "svctl import: note: " << note.str() << "\n";
    for (const auto& failed : conversion->errors) std::cerr << "svctl import: error: " << failed.str() << "\n";
    if (conversion->files.empty()) {
        std::cerr << "svctl import: no [program:x] could be converted from " << input << "\n";
        return kFailed;
    }

    std::vector<OutputFile> files;
    for (const auto& file : conversion->files) files.push_back({file.name, file.text});
    if (out_dir.empty()) {
        print_files(files);
    } else {
        if (!write_files(out_dir, files, force, "svctl import")) return kFailed;
        std::size_t programs = 0;
        for (const auto& file : conversion->files) programs += file.programs.size();
        std::cerr << "svctl import: wrote " << conversion->files.size() << " drop-in"
                  << (conversion->files.size() == 1 ? "" : "s") << " (" << programs << " program"
                  << (programs == 1 ? "" : "s") << ") to " << out_dir << "\n"
                  << "hint: add \"" << out_dir << "/*.toml\" to include in [svd], then check with `svd --check`\n";
    }
    return conversion->errors.empty() ? kOk : kFailed;
}

} // namespace svctl
