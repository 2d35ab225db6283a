#include "daemon/options.h"

#include <cstdlib>
#include <cstring>
#include <iostream>

namespace svd::daemon {
namespace {

const char* kUsage =
    "usage: svd [--config FILE] [--profile NAME] [--daemon] [--check] [--allow-root]\n"
    "  --config FILE  the main config (default: $SVD_CONFIG, then ~/.config/svd/svd.toml)\n"
    "  --profile NAME apply [profile.NAME] of the config (default: $SVD_PROFILE)\n"
    "  --daemon       run in the background; returns once the control socket accepts\n"
    "  --check        validate the whole config, print errors as file:line:col, exit 0/1\n"
    "  --allow-root   run as root anyway (svd is built for unprivileged service users)\n"
    "  --version      print the version\n";

/// The fd number of --adopt-state, or -1 unless it is a plain number of an
/// inherited fd (above stdin, stdout and stderr).
int parse_state_fd(const char* text) {
    char* end = nullptr;
    long fd = std::strtol(text, &end, 10);
    if (!*text || *end || fd < 3 || fd > 1 << 20) return -1;
    return static_cast<int>(fd);
}

} // namespace

int parse_options(int argc, char** argv, Options& options) {
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if ((arg == "--config" || arg == "-c") && i + 1 < argc) options.config = argv[++i];
        else if (arg.rfind("--config=", 0) == 0) options.config = arg.substr(9);
        else if (arg == "--daemon" || arg == "-d") options.daemon = true;
        else if (arg == "--profile" && i + 1 < argc) options.profile = argv[++i];
        else if (arg.rfind("--profile=", 0) == 0) options.profile = arg.substr(10);
        else if (arg == "--check") options.check = true;
        else if (arg == "--adopt-state" && i + 1 < argc) {
            // Internal; read before the other options by adopt_state_fd().
            if (parse_state_fd(argv[++i]) < 0) {
                std::cerr << "svd: --adopt-state needs the number of an inherited fd, not '" << argv[i] << "'\n";
                return 2;
            }
        }
        else if (arg == "--allow-root") options.allow_root = true;
        else if (arg == "--version") {
            std::cout << "svd " << SVD_VERSION << "\n";
            return 0;
        } else if (arg == "--help" || arg == "-h") {
            std::cout << kUsage;
            return 0;
        } else {
            std::cerr << "svd: unknown option '" << arg << "'\n" << kUsage;
            return 2;
        }
    }
    return -1;
}

int adopt_state_fd(int argc, char** argv) {
    for (int i = 1; i + 1 < argc; ++i)
        if (std::strcmp(argv[i], "--adopt-state") == 0) return parse_state_fd(argv[i + 1]);
    return -1;
}

} // namespace svd::daemon
