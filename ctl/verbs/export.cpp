#include "config/model.h"
#include "verbs/export_systemd.h"
#include "verbs/import.h"
#include "verbs/output_files.h"
#include "verbs/verbs.h"

#include <cstdlib>
#include <iostream>

namespace svctl {
namespace {

const char* kExportUsage =
    "usage: svctl [--config FILE] export systemd [--out DIR] [--prefix PREFIX] [--force]\n"
    "  writes a systemd user unit for each program (NAME.service) and each held socket\n"
    "  (NAME.socket) of the config; all of them on stdout without --out.\n"
    "  --out DIR        e.g. ~/.config/systemd/user\n"
    "  --prefix PREFIX  put PREFIX before every unit name (svd- gives svd-NAME.service)\n"
    "  --force          overwrite units that already exist in DIR\n";

} // namespace

int run_export(const std::string& config_flag, const std::vector<std::string>& args) {
    std::string format, out_dir, prefix;
    bool force = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if ((arg == "--out" || arg == "-o") && i + 1 < args.size()) out_dir = args[++i];
        else if (arg.rfind("--out=", 0) == 0) out_dir = arg.substr(6);
        else if (arg == "--prefix" && i + 1 < args.size()) prefix = args[++i];
        else if (arg.rfind("--prefix=", 0) == 0) prefix = arg.substr(9);
        else if (arg == "--force" || arg == "-f") force = true;
        else if (arg == "--help" || arg == "-h") {
            std::cout << kExportUsage;
            return kOk;
        } else if (!arg.empty() && arg[0] == '-') {
            std::cerr << "svctl export: unknown option '" << arg << "'\n" << kExportUsage;
            return kUsage;
        } else if (format.empty()) format = arg;
        else {
            std::cerr << "svctl export: unexpected argument '" << arg << "'\n" << kExportUsage;
            return kUsage;
        }
    }
    if (format != "systemd") {
        std::cerr << "svctl export: " << (format.empty() ? "which format?" : "unknown format '" + format + "';")
                  << " the one there is: systemd\n"
                  << kExportUsage;
        return kUsage;
    }
    for (char c : prefix)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == ':')) {
            std::cerr << "svctl export: --prefix '" << prefix << "' has characters a unit name cannot have\n";
            return kUsage;
        }

    std::string config_path = config_flag.empty() ? svd::config::default_config_path() : config_flag;
    const char* profile = std::getenv("SVD_PROFILE");
    auto loaded = svd::config::load_config(config_path, profile ? profile : "");
    if (!loaded.config) {
        std::cerr << "svctl export: the config " << config_path << " has errors:\n";
        for (const auto& error : loaded.errors) std::cerr << "  " << error.str() << "\n";
        std::cerr << "hint: `svd --check --config " << config_path << "` shows the same; fix them first\n";
        return kFailed;
    }
    const char* path = std::getenv("PATH");
    auto exported = export_systemd(*loaded.config, prefix, path ? path : "/usr/local/bin:/usr/bin:/bin");
    for (const auto& note : exported.notes) std::cerr << "svctl export: note: " << note << "\n";

    std::vector<OutputFile> files;
    for (const auto& unit : exported.units) files.push_back({unit.name, unit.text});
    if (out_dir.empty()) {
        print_files(files);
        return kOk;
    }
    if (!write_files(out_dir, files, force, "svctl export")) return kFailed;
    std::string enable;
    for (const auto& unit : exported.units)
        if (unit.text.find("[Install]") != std::string::npos) enable += " " + unit.name;
    std::cerr << "svctl export: wrote " << files.size() << " unit" << (files.size() == 1 ? "" : "s") << " to " << out_dir
              << "\nhint: systemctl --user daemon-reload";
    if (!enable.empty()) std::cerr << " && systemctl --user enable --now" << enable;
    std::cerr << "\n";
    return kOk;
}

} // namespace svctl
