// svctl: drives a running svd over its control socket.
#include "client.h"
#include "daemon/socket_pointer.h"
#include "daemon/tree.h"
#include "config/model.h"
#include "control/verbs.h"
#include "verbs/import.h"
#include "verbs/verbs.h"

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>

namespace {

/// The usage text; the verbs' lines come from the shared table.
std::string usage() {
    return "usage: svctl [--config FILE | --socket PATH] [--json] VERB [ARGS]\n"
           "verbs:\n" +
           svd::control::verb_usage_lines() + "exit status: 0 ok, 1 something failed, 2 usage, 3 svd not reachable\n";
}

using Runner = int (*)(svctl::Context&);

/// The function that runs a verb svd answers (an alias runs its verb's).
/// Every such verb of the table has one; test_control runs each to be sure.
Runner runner_for(std::string_view verb) {
    static const std::map<std::string_view, Runner> runners = {
        {"status", svctl::run_status},   {"start", svctl::run_action},      {"stop", svctl::run_action},
        {"restart", svctl::run_action},  {"signal", svctl::run_signal},     {"pid", svctl::run_pid},
        {"tail", svctl::run_tail},       {"shutdown", svctl::run_simple},   {"version", svctl::run_simple},
        {"sockets", svctl::run_simple},  {"reopen", svctl::run_simple},     {"reread", svctl::run_reconfigure},
        {"update", svctl::run_reconfigure}, {"reload", svctl::run_simple},
    };
    auto found = runners.find(verb);
    return found == runners.end() ? nullptr : found->second;
}

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

/// Where the default config path came from, for "not found" messages.
std::string config_origin() {
    const char* env = std::getenv("SVD_CONFIG");
    return env && *env ? " (from SVD_CONFIG)" : " (the default: neither --config nor SVD_CONFIG was given)";
}

/// The socket a running svd recorded for this config (daemon/socket_pointer.h),
/// tried before the config is parsed: it works while the config is broken.
bool connect_through_pointer(svctl::Client& client, const std::string& socket_flag, const std::string& config_flag) {
    if (!socket_without_config(socket_flag, config_flag).empty()) return false;
    auto recorded = svd::daemon::read_socket_pointer(resolved_config(config_flag));
    std::string ignored;
    return recorded && client.connect(*recorded, ignored);
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
    if (std::error_code error; !std::filesystem::exists(config_path, error)) {
        // Not an error inside a config: there is none where svctl looked.
        std::cerr << "svctl: cannot find svd: the config " << config_path << " was not found"
                  << (config_flag.empty() ? config_origin() : "") << "\n"
                  << "hint: pass --config FILE or set SVD_CONFIG=FILE (or --socket PATH to reach svd directly)\n";
        return false;
    }
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
    std::cerr << "hint: fix the config, or pass --socket PATH; a running svd is found despite errors only if it "
                 "was started with this config (--config FILE or SVD_CONFIG)\n";
    return false;
}

/// svd is not reachable on `socket`: true (having said so) when an svd
/// holds the tree's lock all the same, so the usual hint to start one would
/// start a second svd on the same programs.
bool explain_lock_holder(const std::string& socket, const std::string& socket_flag, const std::string& config_flag) {
    if (!socket_without_config(socket_flag, config_flag).empty()) return false;
    auto loaded = load_whole_config(resolved_config(config_flag));
    if (!loaded.config) return false;
    const std::string lock = svd::daemon::lock_path(*loaded.config);
    pid_t holder = svd::daemon::lock_holder(lock);
    if (holder == 0) return false;
    const std::string pid = holder > 0 ? std::to_string(holder) : "?";
    std::cerr << "svctl: svd (pid " << pid << ") holds this tree's lock (" << lock << ") but nobody answers on "
              << socket << ":\n  its run_dir or control socket was deleted, or the config now names another one.\n"
              << "hint: do not start a second svd; svd re-creates a deleted socket within seconds, then svctl works "
                 "again; or stop it with `kill -TERM "
              << pid << "` (it stops every program) and start it anew\n";
    return true;
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
            std::cout << usage();
            return svctl::kOk;
        } else if (arg == "--list-verbs") {
            // Internal, for the tests (completion, man page, dispatch): every
            // verb and alias as NAME<TAB>svd|svctl[<TAB>ALIAS_OF].
            for (const auto& entry : svd::control::verbs()) {
                std::cout << entry.name << (entry.side == svd::control::VerbSide::Svd ? "\tsvd" : "\tsvctl");
                if (!entry.alias_of.empty()) std::cout << "\t" << entry.alias_of;
                std::cout << "\n";
            }
            return svctl::kOk;
        } else if (arg == "--version") {
            std::cout << "svctl " << SVD_VERSION << "\n";
            return svctl::kOk;
        } else if (!arg.empty() && arg[0] == '-') {
            std::cerr << "svctl: unknown option '" << arg << "'\n" << usage();
            return svctl::kUsage;
        } else break;
    }
    if (i >= argc) {
        std::cerr << usage();
        return svctl::kUsage;
    }
    std::string verb = argv[i++];
    std::vector<std::string> args;
    for (; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--json") json = true;
        else args.push_back(arg);
    }

    const svd::control::Verb* entry = svd::control::find_verb(verb);
    if (!entry) {
        std::cerr << "svctl: unknown verb '" << verb << "'\n" << usage();
        return svctl::kUsage;
    }
    // These read and write files only: no svd needed.
    if (entry->side == svd::control::VerbSide::Local) {
        if (verb == "import") return svctl::run_import(args);
        if (verb == "export") return svctl::run_export(config_flag, args);
    }
    Runner runner = runner_for(entry->alias_of.empty() ? entry->name : entry->alias_of);
    if (!runner) {
        std::cerr << "svctl: internal error: verb '" << verb << "' has no runner\n";
        return svctl::kFailed;
    }

    svctl::Client client;
    auto connect = [&]() {
        std::string socket_path, error;
        if (connect_through_pointer(client, socket_flag, config_flag)) return true;
        if (!find_socket(socket_flag, config_flag, socket_path)) return false;
        if (!client.connect(socket_path, error)) {
            if (explain_lock_holder(socket_path, socket_flag, config_flag)) return false;
            std::cerr << "svctl: " << error << "\n";
            show_config_errors(socket_flag, config_flag);
            return false;
        }
        return true;
    };
    svctl::Context context{client, connect, json, verb, args};
    return runner(context);
}
