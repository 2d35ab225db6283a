#include "verbs/verbs.h"

#include "control/protocol.h"

#include <iostream>

namespace svctl {

std::optional<nlohmann::json> ask(Context& context, const std::string& verb, const std::vector<std::string>& names,
                                  const nlohmann::json& args, int& status) {
    nlohmann::json request = svd::control::make_request({verb, names, args});
    if (!context.client.connected() && !context.connect()) {
        status = kUnreachable;
        return std::nullopt;
    }
    std::string error;
    if (!context.client.send(request, error)) {
        std::string ignored;
        if (auto reply = context.client.receive(ignored)) {
            status = kOk;
            return reply;
        }
        std::cerr << "svctl: " << error << "\n";
        status = kUnreachable;
        return std::nullopt;
    }
    auto reply = context.client.receive(error);
    if (!reply) {
        std::cerr << "svctl: " << error << "\n";
        status = kUnreachable;
        return std::nullopt;
    }
    status = kOk;
    return reply;
}

bool parse_names_and_no_wait(const Context& context, std::vector<std::string>& names, nlohmann::json& args) {
    for (const auto& arg : context.args) {
        if (arg == "--no-wait") args["wait"] = false;
        else if (!arg.empty() && arg[0] == '-') {
            std::cerr << "svctl " << context.verb << ": unknown option '" << arg << "'\n";
            return false;
        } else names.push_back(arg);
    }
    return true;
}

int print_error(const nlohmann::json& reply) {
    std::cerr << "svctl: " << reply.value("error", std::string("request failed")) << "\n";
    if (reply.contains("hint")) std::cerr << "hint: " << reply["hint"].get<std::string>() << "\n";
    // svd turned the connection away (another uid, too many clients): it is
    // not reachable for this svctl, which svctl(1) says is exit status 3.
    if (reply.value("refused", false)) return kUnreachable;
    return kFailed;
}

} // namespace svctl
