// svctl: drives a running svd over its control socket.
#include "client.h"
#include "config/model.h"
#include "verbs/import.h"
#include "verbs/verbs.h"

#include <cstdlib>
#include <iostream>
#include <map>

namespace {

const char* kUsage =
    "usage: svctl [--config FILE | --socket PATH] [--json] VERB [ARGS]\n"
    "verbs:\n"
    "  status [NAME...|all]            programs, states, pids, uptime (--json for scripts)\n"
    "  start NAME...|all [--no-wait]   start, with what they require; waits until RUNNING\n"
    "  stop NAME...|all                stop; programs that require them stop first\n"
    "  restart NAME...|all             stop then start\n"
    "  signal SIG NAME...|all          send a signal (TERM, HUP, USR1, 9, ...)\n"
    "  pid [NAME...]                   svd's pid, or the programs' pids\n"
    "  tail [-f] [-n N] [--stderr] NAME...|all   show (and follow) program output\n"
    "  sockets                         the listening sockets svd holds\n"
    "  reopen                          reopen every log file (after an external logrotate)\n"
    "  reread                          show what changed in the config on disk, touching nothing\n"
    "  update [NAME...]                apply it: start added, restart changed, stop removed programs\n"
    "  reload                          re-execute svd (after an upgrade); programs keep running\n"
    "  shutdown                        stop every program, then svd\n"
    "  version                         versions of svctl and svd\n"
    "  import SUPERVISORD.CONF [--out DIR]   convert a supervisord config into svd drop-ins\n"
    "  export systemd [--out DIR]      write systemd user units for the config's programs and sockets\n"
    "exit status: 0 ok, 1 something failed, 2 usage, 3 svd not reachable\n";

/// --socket, then $SVD_SOCKET unless --config was given: a socket that
/// needs no config at all. Empty when the config must say.
std::string socket_without_config(const std::string& socket_flag, const std::string& config_flag) {
    if (!socket_flag.empty()) return socket_flag;
    const char* env = std::getenv("SVD_SOCKET");
    return env && *env && config_flag.empty() ? env : "";
}

std::string resolved_config(const std::string& config_flag) {
    return config_flag.empty() ? svd::config::default_config_path() : config_flag;
}

/// The whole config, checked: what svctl shows when something went wrong.
svd::config::LoadResult load_whole_config(const std::string& config_path) {
    const char* profile = std::getenv("SVD_PROFILE");
    return svd::config::load_config(config_path, profile ? profile : "");
}

/// The control socket: --socket, then $SVD_SOCKET, then [svd].socket of the config.
/// Only the main file's [svd] table is read for it (cheap with many programs);
/// the whole config is checked only when that fails or svd cannot be reached.
bool find_socket(const std::string& socket_flag, const std::string& config_flag, std::string& path) {
    path = socket_without_config(socket_flag, config_flag);
    if (!path.empty()) return true;
    const std::string config_path = resolved_config(config_flag);
    const char* profile = std::getenv("SVD_PROFILE");
    path = svd::config::load_control_socket(config_path, profile ? profile : "").socket;
    if (!path.empty()) return true;
    // [svd] has errors; a socket may still be derived from it, otherwise say
    // why in full: the whole config's errors, in reading order.
    auto loaded = load_whole_config(config_path);
    path = loaded.socket; // a broken part must not lock the user out: svd runs the last good config
    if (!path.empty()) return true;
    std::cerr << "svctl: cannot find svd's socket: the config " << config_path << " has errors:\n";
    for (const auto& error : loaded.errors) std::cerr << "  " << error.str() << "\n";
    std::cerr << "hint: fix the config, or pass --socket PATH\n";
    return false;
}

/// svd is not reachable: if the config has errors, they may be why.
void show_config_errors(const std::string& socket_flag, const std::string& config_flag) {
    if (!socket_without_config(socket_flag, config_flag).empty()) return;
    auto loaded = load_whole_config(resolved_config(config_flag));
    if (loaded.config || loaded.errors.empty()) return;
    std::cerr << "and the config has errors:\n";
    for (const auto& error : loaded.errors) std::cerr << "  " << error.str() << "\n";
}

} // namespace

int main(int argc, char** argv) {
    std::string socket_flag, config_flag;
    bool json = false;
    int i = 1;
    for (; i < argc; ++i) {
        std::string arg = argv[i];
        if ((arg == "--socket" || arg == "-s") && i + 1 < argc) socket_flag = argv[++i];
        else if ((arg == "--config" || arg == "-c") && i + 1 < argc) config_flag = argv[++i];
        else if (arg.rfind("--config=", 0) == 0) config_flag = arg.substr(9);
        else if (arg.rfind("--socket=", 0) == 0) socket_flag = arg.substr(9);
        else if (arg == "--json") json = true;
        else if (arg == "--help" || arg == "-h" || arg == "help") {
            std::cout << kUsage;
            return svctl::kOk;
        } else if (arg == "--version") {
            std::cout << "svctl " << SVD_VERSION << "\n";
            return svctl::kOk;
        } else if (!arg.empty() && arg[0] == '-') {
            std::cerr << "svctl: unknown option '" << arg << "'\n" << kUsage;
            return svctl::kUsage;
        } else break;
    }
    if (i >= argc) {
        std::cerr << kUsage;
        return svctl::kUsage;
    }
    std::string verb = argv[i++];
    std::vector<std::string> args;
    for (; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--json") json = true;
        else args.push_back(arg);
    }

    // These read and write files only: no svd needed.
    if (verb == "import") return svctl::run_import(args);
    if (verb == "export") return svctl::run_export(config_flag, args);

    using Runner = int (*)(svctl::Context&);
    const std::map<std::string, Runner> verbs = {
        {"status", svctl::run_status},   {"start", svctl::run_action},   {"stop", svctl::run_action},
        {"restart", svctl::run_action},  {"signal", svctl::run_signal},  {"pid", svctl::run_pid},
        {"tail", svctl::run_tail},       {"logs", svctl::run_tail},      {"shutdown", svctl::run_simple},
        {"version", svctl::run_simple},  {"sockets", svctl::run_simple}, {"reopen", svctl::run_simple},
        {"reread", svctl::run_reconfigure}, {"update", svctl::run_reconfigure}, {"reload", svctl::run_simple},
    };
    auto found = verbs.find(verb);
    if (found == verbs.end()) {
        std::cerr << "svctl: unknown verb '" << verb << "'\n" << kUsage;
        return svctl::kUsage;
    }

    svctl::Client client;
    auto connect = [&]() {
        std::string socket_path, error;
        if (!find_socket(socket_flag, config_flag, socket_path)) return false;
        if (!client.connect(socket_path, error)) {
            std::cerr << "svctl: " << error << "\n";
            show_config_errors(socket_flag, config_flag);
            return false;
        }
        return true;
    };
    svctl::Context context{client, connect, json, verb, args};
    return found->second(context);
}
