#include "control/commands.h"
#include "daemon/binary.h"
#include "control/verbs.h"
#include "config/signals.h"
#include "config/suggest.h"
#include "probes/probes.h"
#include "sockets/sockets.h"
#include "runtime/supervisor.h"
#include "logs/tail_file.h"

#include <csignal>
#include <cstring>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

namespace svd::control {
using runtime::Outcome;
using runtime::UpdateOutcome;

using control::error_reply;
using control::ok_reply;
using nlohmann::json;

namespace {

/// Adds each outcome to `reply` as "results" and sets "ok" (with `error` when one failed).
void add_outcomes(json& reply, const std::vector<Outcome>& outcomes, const char* error) {
    json results = json::array();
    bool all_ok = true;
    for (const auto& outcome : outcomes) {
        all_ok = all_ok && outcome.ok;
        results.push_back(
            {{"name", outcome.name}, {"ok", outcome.ok}, {"state", outcome.state}, {"message", outcome.message}});
    }
    reply["ok"] = all_ok;
    reply["results"] = results;
    if (!all_ok) reply["error"] = error;
}

json outcomes_reply(const std::vector<Outcome>& outcomes, const std::vector<std::string>& also = {}) {
    json reply = ok_reply();
    add_outcomes(reply, outcomes, "not every program reached the requested state");
    if (!also.empty()) reply["also"] = also;
    return reply;
}

bool arg_bool(const control::Request& request, const char* key, bool fallback) {
    auto found = request.args.find(key);
    return found != request.args.end() && found->is_boolean() ? found->get<bool>() : fallback;
}

} // namespace

Commands::Commands(Supervisor& supervisor, std::function<void(std::function<void()>)> request_shutdown)
    : supervisor_(supervisor), request_shutdown_(std::move(request_shutdown)) {}

void Commands::handle(const ClientPtr& client, const std::string& line) {
    control::ParsedRequest parsed = control::parse_request(line);
    if (!parsed.request) {
        client->send(error_reply(parsed.error));
        return;
    }
    const control::Request& request = *parsed.request;
    const std::string& verb = request.verb;
    try {
        if (verb == "status") status(client, request);
        else if (verb == "start") start(client, request);
        else if (verb == "stop") stop(client, request);
        else if (verb == "restart") restart(client, request);
        else if (verb == "signal") signal(client, request);
        else if (verb == "pid") pid(client, request);
        else if (verb == "tail") tail(client, request);
        else if (verb == "shutdown") shutdown(client);
        else if (verb == "reread") reconfigure(client, request, false);
        else if (verb == "reload" && reload_) reload_(client);
        else if (verb == "update") reconfigure(client, request, true);
        else if (verb == "version") {
            json reply = ok_reply();
            reply["version"] = SVD_VERSION;
            reply["build_id"] = daemon::build_id();
            reply["protocol"] = control::kProtocolVersion;
            client->send(reply);
        } else if (verb == "sockets") {
            json reply = ok_reply();
            reply["sockets"] = supervisor_.sockets().describe();
            client->send(reply);
        } else if (verb == "reopen") {
            supervisor_.reopen_logs();
            client->send(ok_reply());
        } else {
            static const std::vector<std::string> known = control::svd_verb_names();
            std::string hint = config::did_you_mean(verb, known);
            client->send(error_reply("unknown verb '" + verb + "'", hint.empty() ? "" : hint.substr(2)));
        }
    } catch (const std::exception& error) {
        // A wrongly typed argument (json type_error) must not take svd down.
        client->send(error_reply(std::string("bad request for '") + verb + "': " + error.what()));
    }
}

bool Commands::resolve_names(const ClientPtr& client, const control::Request& request,
                             std::vector<std::string>& names, bool empty_means_all) {
    const auto known = supervisor_.names();
    if ((request.names.empty() && empty_means_all) ||
        std::find(request.names.begin(), request.names.end(), "all") != request.names.end()) {
        names = known;
        return true;
    }
    if (request.names.empty()) {
        client->send(error_reply("no program named", "give one or more names, or 'all'"));
        return false;
    }
    for (const auto& name : request.names) {
        if (!supervisor_.find(name)) {
            std::string hint = config::did_you_mean(name, known);
            client->send(error_reply("no such program '" + name + "'",
                                     hint.empty() ? "'svctl status' lists the programs" : hint.substr(2)));
            return false;
        }
        if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    }
    return true;
}

json Commands::describe(const std::string& name) {
    process::Program* program = supervisor_.find(name);
    const config::Program& spec = program->spec();
    json entry;
    entry["name"] = name;
    entry["state"] = process::to_string(program->state());
    entry["type"] = config::to_string(spec.type);
    entry["pid"] = program->pid() > 0 ? json(program->pid()) : json(nullptr);
    auto now = process::Clock::now();
    double uptime = process::has_process(program->state())
                        ? std::chrono::duration<double>(now - program->started_at()).count()
                        : 0.0;
    entry["uptime_s"] = static_cast<long long>(uptime);
    entry["since_s"] = static_cast<long long>(std::chrono::duration<double>(now - program->state_since()).count());
    if (auto status = program->last_wait_status(); status && WIFEXITED(*status))
        entry["exit_code"] = WEXITSTATUS(*status);
    else
        entry["exit_code"] = nullptr;
    if (auto status = program->last_wait_status(); status && WIFSIGNALED(*status))
        entry["exit_signal"] = WTERMSIG(*status);
    entry["restarts"] = program->restarts();
    entry["ready"] = program->ready();
    entry["healthy"] = program->healthy() ? json(*program->healthy()) : json(nullptr);
    entry["message"] = program->message();
    // Why the last readiness or health attempt failed, while none has passed since.
    const std::string& probe_error = program->probe_error();
    entry["probe_error"] = probe_error.empty() ? json(nullptr) : json(probe_error);
    // What the program said of itself with sd_notify STATUS=, if anything.
    std::string notified = supervisor_.probes().notify_status(name);
    entry["status_text"] = notified.empty() ? nlohmann::json(nullptr) : nlohmann::json(notified);
    entry["start"] = config::to_string(spec.start);
    json required = json::object();
    json after = json::object();
    for (const auto& dependency : spec.dependencies)
        (dependency.kind == config::DependencyKind::After ? after : required)[dependency.name] =
            config::to_string(dependency.condition);
    entry["requires"] = required;
    entry["after"] = after;
    entry["sockets"] = spec.sockets;
    if (auto* output = supervisor_.output(name)) {
        entry["log"] = output->stdout_path();
        entry["dropped_bytes"] = output->dropped_bytes();
    }
    return entry;
}

void Commands::status(const ClientPtr& client, const control::Request& request) {
    std::vector<std::string> names;
    if (!resolve_names(client, request, names, true)) return;
    json reply = ok_reply();
    json programs = json::array();
    for (const auto& name : names) programs.push_back(describe(name));
    reply["programs"] = programs;
    reply["sockets"] = supervisor_.sockets().describe();
    json errors = json::array();
    for (const auto& error : supervisor_.config_errors()) errors.push_back(error.str());
    reply["config_errors"] = errors;
    reply["svd"] = {{"pid", getpid()},
                    {"profile", supervisor_.profile()},
                    {"uptime_s", static_cast<long long>(supervisor_.uptime_s())},
                    {"config", supervisor_.config().file},
                    {"version", SVD_VERSION}};
    client->send(reply);
}

void Commands::start(const ClientPtr& client, const control::Request& request) {
    std::vector<std::string> names;
    if (!resolve_names(client, request, names, false)) return;
    if (supervisor_.shutting_down()) {
        client->send(error_reply("svd is shutting down"));
        return;
    }
    if (!arg_bool(request, "wait", true)) {
        supervisor_.start(names, nullptr);
        client->send(ok_reply());
        return;
    }
    std::weak_ptr<control::Client> weak = client;
    supervisor_.start(names, [weak](std::vector<Outcome> outcomes) {
        if (auto client = weak.lock()) client->send(outcomes_reply(outcomes));
    });
}

void Commands::stop(const ClientPtr& client, const control::Request& request) {
    std::vector<std::string> names;
    if (!resolve_names(client, request, names, false)) return;
    auto also = std::make_shared<std::vector<std::string>>();
    std::weak_ptr<control::Client> weak = client;
    supervisor_.stop(
        names,
        [weak, also](std::vector<Outcome> outcomes) {
            if (auto client = weak.lock()) client->send(outcomes_reply(outcomes, *also));
        },
        also.get());
}

void Commands::restart(const ClientPtr& client, const control::Request& request) {
    std::vector<std::string> names;
    if (!resolve_names(client, request, names, false)) return;
    std::weak_ptr<control::Client> weak = client;
    supervisor_.restart(names, [weak](std::vector<Outcome> outcomes) {
        if (auto client = weak.lock()) client->send(outcomes_reply(outcomes));
    });
}

void Commands::signal(const ClientPtr& client, const control::Request& request) {
    auto found = request.args.find("signal");
    std::optional<int> number;
    if (found != request.args.end() && found->is_string()) number = config::signal_number(found->get<std::string>());
    if (found != request.args.end() && found->is_number_integer()) number = found->get<int>();
    if (!number) {
        client->send(error_reply("unknown signal", "use a name like TERM, HUP, USR1 or a number"));
        return;
    }
    std::vector<std::string> names;
    if (!resolve_names(client, request, names, false)) return;
    std::vector<Outcome> outcomes;
    for (const auto& name : names) {
        process::Program* program = supervisor_.find(name);
        Outcome outcome{name, false, process::to_string(program->state()), ""};
        if (program->pid() <= 0) {
            outcome.message = "not running";
        } else if (kill(program->pid(), *number) == 0) {
            outcome.ok = true;
            outcome.message = "sent SIG" + config::signal_name(*number) + " to pid " + std::to_string(program->pid());
        } else {
            // Running, but the signal failed (an invalid number): say why.
            outcome.message = "cannot send signal " + std::to_string(*number) + " to pid " +
                              std::to_string(program->pid()) + ": " + std::strerror(errno);
        }
        outcomes.push_back(outcome);
    }
    client->send(outcomes_reply(outcomes));
}

void Commands::pid(const ClientPtr& client, const control::Request& request) {
    json reply = ok_reply();
    if (request.names.empty()) {
        reply["pid"] = getpid();
        client->send(reply);
        return;
    }
    std::vector<std::string> names;
    if (!resolve_names(client, request, names, false)) return;
    json pids = json::object();
    for (const auto& name : names) {
        process::Program* program = supervisor_.find(name);
        pids[name] = program->pid() > 0 ? json(program->pid()) : json(nullptr);
    }
    reply["pids"] = pids;
    client->send(reply);
}

void Commands::tail(const ClientPtr& client, const control::Request& request) {
    std::vector<std::string> names;
    if (!resolve_names(client, request, names, false)) return;
    int lines = 10;
    if (auto found = request.args.find("lines"); found != request.args.end() && found->is_number_integer())
        lines = std::max(0, found->get<int>());
    const bool follow = arg_bool(request, "follow", false);
    const bool want_stderr = arg_bool(request, "stderr", false);
    json reply = ok_reply();
    json logs = json::array();
    for (const auto& name : names) {
        auto* output = supervisor_.output(name);
        std::string path = want_stderr ? output->stderr_path() : output->stdout_path();
        logs.push_back({{"name", name}, {"path", path}, {"data", logs::tail_lines(path, lines)}});
    }
    reply["logs"] = logs;
    reply["follow"] = follow;
    client->send(reply);
    if (!follow) return;
    client->streaming = true;
    std::weak_ptr<control::Client> weak = client;
    auto subscriptions = std::make_shared<std::vector<std::pair<std::string, int>>>();
    for (const auto& name : names) {
        auto* output = supervisor_.output(name);
        // With stderr merged both streams share one pipe and one file: nothing to filter.
        const bool separate = output->stderr_path() != output->stdout_path();
        int id = output->subscribe([weak, name, want_stderr, separate](logs::Stream stream, std::string_view data) {
            auto client = weak.lock();
            if (!client) return;
            if (separate && want_stderr != (stream == logs::Stream::Stderr)) return;
            client->send({{"v", control::kProtocolVersion}, {"name", name}, {"stream", logs::to_string(stream)},
                          {"data", std::string(data)}});
        });
        subscriptions->emplace_back(name, id);
    }
    Supervisor* supervisor = &supervisor_;
    client->on_close = [supervisor, subscriptions] {
        for (auto& [name, id] : *subscriptions)
            if (auto* output = supervisor->output(name)) output->unsubscribe(id);
    };
}

void Commands::reconfigure(const ClientPtr& client, const control::Request& request, bool apply) {
    UpdateOutcome outcome = supervisor_.update_from_disk(request.names, apply);
    if (!outcome.ok) {
        json reply = error_reply(outcome.error, outcome.errors.empty()
                                                    ? std::string{}
                                                    : "fix them and run 'svctl " + request.verb + "' again");
        json errors = json::array();
        for (const auto& error : outcome.errors) errors.push_back(error.str());
        reply["errors"] = errors;
        client->send(reply);
        return;
    }
    json reply = ok_reply();
    reply["diff"] = outcome.diff.to_json();
    reply["changed"] = !outcome.diff.empty();
    if (!apply || outcome.affected.empty() || !arg_bool(request, "wait", true)) {
        client->send(reply);
        return;
    }
    std::weak_ptr<control::Client> weak = client;
    supervisor_.wait_for(outcome.affected, [weak, reply](std::vector<Outcome> outcomes) mutable {
        auto client = weak.lock();
        if (!client) return;
        add_outcomes(reply, outcomes, "not every changed program came up");
        client->send(reply);
    });
}

void Commands::shutdown(const ClientPtr& client) {
    std::weak_ptr<control::Client> weak = client;
    request_shutdown_([weak] {
        if (auto client = weak.lock()) {
            client->send(ok_reply());
            client->finish();
        }
    });
}

} // namespace svd::control
