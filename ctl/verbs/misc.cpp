#include "verbs/verbs.h"

#include "verbs/socket_table.h"

#include "control/protocol.h"
#include "text/join.h"

#include <iostream>
#include <unistd.h>

namespace svctl {

int run_pid(Context& context) {
    int status = kOk;
    auto reply = ask(context, "pid", context.args, nlohmann::json::object(), status);
    if (!reply) return status;
    if (!reply->value("ok", false)) return print_error(*reply);
    if (context.json) {
        std::cout << reply->dump(2) << "\n";
        return kOk;
    }
    if (reply->contains("pid")) {
        std::cout << (*reply)["pid"].get<long long>() << "\n";
        return kOk;
    }
    int result = kOk;
    for (const auto& name : context.args) {
        const auto& pid = (*reply)["pids"][name];
        if (pid.is_null()) {
            std::cout << 0 << "\n";
            result = kFailed;
        } else {
            std::cout << pid.get<long long>() << "\n";
        }
    }
    return result;
}

namespace {

/// After `reload`, the new image answers on the same socket; wait for it.
int await_reload(Context& context, long old_pid) {
    for (int attempt = 0; attempt < 200; ++attempt) {
        Client probe;
        std::string error;
        if (probe.connect(context.client.path(), error) &&
            probe.send(svd::control::make_request({"version"}), error)) {
            if (auto reply = probe.receive(error); reply && reply->value("ok", false)) {
                std::cout << "svd re-executed (pid " << old_pid << ", now svd " << (*reply)["version"].get<std::string>()
                          << "); programs and sockets were kept\n";
                return kOk;
            }
        }
        usleep(50 * 1000);
    }
    std::cerr << "svctl: svd did not answer after the reload; see its log\n";
    return kFailed;
}

std::string describe_image(const nlohmann::json& image) {
    std::string build = image.value("build_id", std::string("?"));
    return "svd " + image.value("version", std::string("?")) + " (build " + build.substr(0, 12) + ", " +
           image.value("exe", std::string("?")) + ")";
}

/// The new image answers a reload itself, with what ran before and after.
int print_reload(const nlohmann::json& reply) {
    if (!reply.value("ok", false)) {
        int status = print_error(reply);
        if (reply.contains("before"))
            std::cerr << "svd still runs " << describe_image(reply["before"]) << "\n";
        return status;
    }
    std::cout << "svd re-executed (pid " << reply.value("pid", 0L) << "); programs and sockets were kept\n"
              << "before: " << describe_image(reply["before"]) << "\n"
              << "after:  " << describe_image(reply["after"]) << "\n";
    return kOk;
}

} // namespace

int run_simple(Context& context) {
    int status = kOk;
    auto reply = ask(context, context.verb, context.args, nlohmann::json::object(), status);
    if (!reply) return status;
    if (context.verb == "reload" && reply->contains("after") && !context.json) return print_reload(*reply);
    if (!reply->value("ok", false)) return print_error(*reply);
    if (context.json) {
        std::cout << reply->dump(2) << "\n";
        return kOk;
    }
    if (context.verb == "version") {
        std::cout << "svctl " << SVD_VERSION << "\nsvd " << (*reply)["version"].get<std::string>() << " (protocol "
                  << (*reply)["protocol"].get<int>() << ", build " << reply->value("build_id", std::string("?"))
                  << ")\n";
    } else if (context.verb == "shutdown") {
        std::cout << "svd stopped every program and is exiting\n";
    } else if (context.verb == "reload") {
        return await_reload(context, reply->value("pid", 0L));
    } else if (context.verb == "reopen") {
        std::cout << "log files reopened\n";
    } else if (context.verb == "sockets") {
        print_socket_table((*reply)["sockets"]);
    }
    return kOk;
}

} // namespace svctl
