#include "format.h"
#include "verbs/verbs.h"
#include "text/join.h"

#include <iostream>

namespace svctl {
namespace {

std::string cell(const nlohmann::json& value) {
    if (value.is_null()) return "-";
    if (value.is_string()) return value.get<std::string>();
    return value.dump();
}

void print_table(const std::vector<std::vector<std::string>>& rows, bool colour) {
    std::vector<std::size_t> widths;
    for (const auto& row : rows)
        for (std::size_t i = 0; i < row.size(); ++i) {
            if (widths.size() <= i) widths.push_back(0);
            widths[i] = std::max(widths[i], row[i].size());
        }
    for (std::size_t r = 0; r < rows.size(); ++r) {
        std::string line;
        for (std::size_t i = 0; i < rows[r].size(); ++i) {
            std::string text = rows[r][i];
            // Pad by the visible text, then colour: escape codes have no width.
            std::string padded = text + std::string(widths[i] - text.size(), ' ');
            if (i == 1 && r > 0) padded = colour_state(text, colour) + std::string(widths[i] - text.size(), ' ');
            line += padded;
            if (i + 1 < rows[r].size()) line += "  ";
        }
        while (!line.empty() && line.back() == ' ') line.pop_back();
        std::cout << line << "\n";
    }
}

} // namespace

int run_status(Context& context) {
    int status = kOk;
    auto reply = ask(context, "status", context.args, nlohmann::json::object(), status);
    if (!reply) return status;
    if (!reply->value("ok", false)) return print_error(*reply);
    if (context.json) {
        std::cout << (*reply)["programs"].dump(2) << "\n";
        return kOk;
    }
    bool colour = use_colour();
    std::vector<std::vector<std::string>> rows{{"NAME", "STATE", "PID", "UPTIME", "READY", "RESTARTS", "INFO"}};
    for (const auto& program : (*reply)["programs"]) {
        std::string state = program["state"].get<std::string>();
        std::string uptime = program["pid"].is_null() ? "-" : human_duration(program["uptime_s"].get<long long>());
        std::string ready = program["ready"].get<bool>() ? "yes" : "no";
        if (!program["healthy"].is_null()) ready += program["healthy"].get<bool>() ? ",healthy" : ",UNHEALTHY";
        std::string info = program.value("message", std::string());
        if (program.contains("status_text") && program["status_text"].is_string())
            info += (info.empty() ? "" : "; ") + program["status_text"].get<std::string>();
        if (program.value("dropped_bytes", 0ull) > 0)
            info += (info.empty() ? "" : "; ") + std::to_string(program["dropped_bytes"].get<unsigned long long>()) +
                    " log bytes dropped";
        rows.push_back({program["name"].get<std::string>(), state, cell(program["pid"]), uptime, ready,
                        std::to_string(program["restarts"].get<int>()), info});
    }
    print_table(rows, colour);
    if (reply->contains("config_errors") && !(*reply)["config_errors"].empty()) {
        std::cerr << "\nwarning: the config on disk has errors; svd keeps running the last good one:\n";
        for (const auto& error : (*reply)["config_errors"]) std::cerr << "  " << error.get<std::string>() << "\n";
    }
    const auto& sockets = (*reply)["sockets"];
    if (!sockets.empty()) {
        std::cout << "\n";
        std::vector<std::vector<std::string>> socket_rows{{"SOCKET", "LISTEN", "PROGRAMS"}};
        for (const auto& socket : sockets) {
            std::string programs = svd::text::join(socket["programs"], ",", [](const nlohmann::json& name) { return name.get<std::string>(); });
            socket_rows.push_back({socket["name"].get<std::string>(), socket["listen"].get<std::string>(),
                                   programs.empty() ? "-" : programs});
        }
        print_table(socket_rows, false);
    }
    return kOk;
}

} // namespace svctl
