#include "format.h"
#include "verbs/verbs.h"

#include "control/verbs.h"
#include "text/join.h"

#include <iostream>

namespace svctl {
namespace {

std::string join(const nlohmann::json& list) {
    return svd::text::join(list, ", ", [](const nlohmann::json& item) { return item.get<std::string>(); });
}

/// The plan, one line per change, as supervisord's reread prints it.
void print_diff(const nlohmann::json& diff, bool applied) {
    bool any = false;
    for (const auto& name : diff["added"]) {
        std::cout << name.get<std::string>() << ": added" << (applied ? "" : " (would start)") << "\n";
        any = true;
    }
    for (const auto& change : diff["changed"]) {
        std::cout << change["name"].get<std::string>() << ": changed (" << join(change["keys"]) << ")";
        if (change["restart"].get<bool>()) std::cout << (applied ? "; restarted" : "; would restart");
        else std::cout << (applied ? "; applied in place" : "; applies in place");
        std::cout << "\n";
        any = true;
    }
    for (const auto& name : diff["removed"]) {
        std::cout << name.get<std::string>() << ": removed" << (applied ? "; stopped" : " (would stop)") << "\n";
        any = true;
    }
    for (const auto& name : diff["sockets_added"]) {
        std::cout << "socket " << name.get<std::string>() << ": added\n";
        any = true;
    }
    for (const auto& change : diff["sockets_changed"]) {
        std::cout << "socket " << change["name"].get<std::string>() << ": changed (" << join(change["keys"]) << ")\n";
        any = true;
    }
    for (const auto& name : diff["sockets_removed"]) {
        std::cout << "socket " << name.get<std::string>() << ": removed\n";
        any = true;
    }
    if (!diff["svd_keys"].empty()) {
        std::cout << "[svd] " << join(diff["svd_keys"]) << " changed: takes effect when svd restarts\n";
        any = true;
    }
    if (!any) std::cout << "no changes\n";
}

} // namespace

int run_reconfigure(Context& context) {
    nlohmann::json args = nlohmann::json::object();
    std::vector<std::string> names;
    if (!parse_names_and_no_wait(context, names, args)) return kUsage;
    if (context.verb == "reread" && !names.empty()) {
        std::cerr << svd::control::verb_usage(*svd::control::find_verb("reread")) << "\n";
        return kUsage;
    }
    int status = kOk;
    auto reply = ask(context, context.verb, names, args, status);
    if (!reply) return status;
    if (context.json) {
        std::cout << reply->dump(2) << "\n";
        return reply->value("ok", false) ? kOk : kFailed;
    }
    if (reply->contains("errors")) {
        for (const auto& error : (*reply)["errors"]) std::cerr << error.get<std::string>() << "\n";
    }
    if (reply->contains("diff")) print_diff((*reply)["diff"], context.verb == "update");
    if (reply->contains("results")) {
        bool colour = use_colour();
        for (const auto& result : (*reply)["results"]) {
            std::string line = result["name"].get<std::string>() + ": " +
                               colour_state(result["state"].get<std::string>(), colour);
            if (!result["message"].get<std::string>().empty()) line += " (" + result["message"].get<std::string>() + ")";
            (result["ok"].get<bool>() ? std::cout : std::cerr) << line << "\n";
        }
    }
    if (!reply->value("ok", false)) return print_error(*reply);
    return kOk;
}

} // namespace svctl
