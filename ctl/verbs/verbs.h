// One function per svctl verb. Each sends its request, prints what a user
// (or with --json, a script) needs, and returns svctl's exit status:
// 0 all asked for succeeded, 1 some failed, 2 usage, 3 svd not reachable.
#pragma once

#include "client.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace svctl {

enum ExitStatus { kOk = 0, kFailed = 1, kUsage = 2, kUnreachable = 3 };

struct Context {
    Client& client;
    /// Finds and connects to svd; prints why not. Verbs check their
    /// arguments first, so a usage error is reported even when svd is down.
    std::function<bool()> connect;
    bool json = false;
    std::string verb;
    std::vector<std::string> args;
};

/// Sends one request and waits for its reply; prints the error and returns
/// nullopt with `status` set when svd could not be asked.
std::optional<nlohmann::json> ask(Context& context, const std::string& verb, const std::vector<std::string>& names,
                                  const nlohmann::json& args, int& status);
/// Prints svd's error reply ("svctl: error" + hint) and returns kFailed.
int print_error(const nlohmann::json& reply);
/// Splits the arguments of a verb that takes NAMEs and `--no-wait` (sets
/// args["wait"] = false). Any other option is a usage error: printed, false.
[[nodiscard]] bool parse_names_and_no_wait(const Context& context, std::vector<std::string>& names, nlohmann::json& args);

int run_status(Context& context);
int run_action(Context& context); ///< start, stop, restart
int run_signal(Context& context);
int run_pid(Context& context);
int run_tail(Context& context);
int run_simple(Context& context); ///< shutdown, version, sockets, reopen, reload
int run_reconfigure(Context& context); ///< reread, update

} // namespace svctl
