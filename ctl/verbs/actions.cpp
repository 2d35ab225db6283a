#include "format.h"
#include "verbs/verbs.h"

#include "control/verbs.h"
#include "text/join.h"

#include <iostream>

namespace svctl {
namespace {

int print_outcomes(Context& context, const nlohmann::json& reply) {
    if (context.json) {
        std::cout << reply.dump(2) << "\n";
        return reply.value("ok", false) ? kOk : kFailed;
    }
    if (!reply.contains("results")) {
        if (!reply.value("ok", false)) return print_error(reply);
        return kOk;
    }
    if (reply.contains("also") && !reply["also"].empty()) {
        std::string also = svd::text::join(reply["also"], ", ", [](const nlohmann::json& name) { return name.get<std::string>(); });
        std::cout << "also stopped, because they require it: " << also << "\n";
    }
    bool colour = use_colour();
    int status = kOk;
    for (const auto& result : reply["results"]) {
        std::string line = result["name"].get<std::string>() + ": " +
                           colour_state(result["state"].get<std::string>(), colour);
        std::string message = result.value("message", std::string());
        if (!message.empty()) line += " (" + message + ")";
        if (result.value("ok", false)) {
            std::cout << line << "\n";
        } else {
            std::cerr << line << "\n";
            status = kFailed;
        }
    }
    return status;
}

} // namespace

int run_action(Context& context) {
    nlohmann::json args = nlohmann::json::object();
    std::vector<std::string> names;
    if (!parse_names_and_no_wait(context, names, args)) return kUsage;
    if (names.empty()) {
        std::cerr << svd::control::verb_usage(*svd::control::find_verb(context.verb)) << "\n";
        return kUsage;
    }
    int status = kOk;
    auto reply = ask(context, context.verb, names, args, status);
    if (!reply) return status;
    return print_outcomes(context, *reply);
}

int run_signal(Context& context) {
    if (context.args.size() < 2) {
        std::cerr << svd::control::verb_usage(*svd::control::find_verb("signal")) << "\n";
        return kUsage;
    }
    std::vector<std::string> names(context.args.begin() + 1, context.args.end());
    int status = kOk;
    auto reply = ask(context, "signal", names, {{"signal", context.args[0]}}, status);
    if (!reply) return status;
    return print_outcomes(context, *reply);
}

} // namespace svctl
