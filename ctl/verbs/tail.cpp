#include "verbs/verbs.h"

#include "control/verbs.h"

#include <iostream>
#include <map>

namespace svctl {
namespace {

/// Writes output, prefixing each line with "name | " when several programs
/// are followed (like `docker compose logs`). Partial lines wait for their end.
class Printer {
public:
    explicit Printer(bool prefix, std::size_t width) : prefix_(prefix), width_(width) {}
    void write(const std::string& name, const std::string& data) {
        if (!prefix_) {
            std::cout << data << std::flush;
            return;
        }
        std::string& pending = pending_[name];
        pending += data;
        std::size_t start = 0, newline;
        while ((newline = pending.find('\n', start)) != std::string::npos) {
            std::cout << name << std::string(width_ - name.size(), ' ') << " | "
                      << pending.substr(start, newline - start + 1);
            start = newline + 1;
        }
        pending.erase(0, start);
        std::cout << std::flush;
    }

private:
    bool prefix_;
    std::size_t width_;
    std::map<std::string, std::string> pending_;
};

} // namespace

int run_tail(Context& context) {
    nlohmann::json args{{"lines", 10}, {"follow", false}, {"stderr", false}};
    std::vector<std::string> names;
    for (std::size_t i = 0; i < context.args.size(); ++i) {
        const std::string& arg = context.args[i];
        if (arg == "-f" || arg == "--follow") args["follow"] = true;
        else if (arg == "--stderr") args["stderr"] = true;
        else if ((arg == "-n" || arg == "--lines") && i + 1 < context.args.size()) {
            try {
                args["lines"] = std::stoi(context.args[++i]);
            } catch (...) {
                std::cerr << "svctl tail: -n wants a number\n";
                return kUsage;
            }
        } else if (!arg.empty() && arg[0] == '-') {
            std::cerr << "svctl tail: unknown option '" << arg << "'\n";
            return kUsage;
        } else names.push_back(arg);
    }
    if (names.empty()) {
        std::cerr << svd::control::verb_usage(*svd::control::find_verb("tail")) << "\n"; // for `logs` too
        return kUsage;
    }
    int status = kOk;
    auto reply = ask(context, "tail", names, args, status);
    if (!reply) return status;
    if (!reply->value("ok", false)) return print_error(*reply);
    const auto& logs = (*reply)["logs"];
    std::size_t width = 0;
    for (const auto& log : logs) width = std::max(width, log["name"].get<std::string>().size());
    Printer printer(logs.size() > 1, width);
    for (const auto& log : logs) {
        std::string data = log["data"].get<std::string>();
        if (!data.empty() && data.back() != '\n') data += '\n';
        printer.write(log["name"].get<std::string>(), data);
    }
    if (!args["follow"].get<bool>()) return kOk;
    for (;;) {
        std::string error;
        auto message = context.client.receive(error);
        if (!message) {
            std::cerr << "svctl: " << error << "\n";
            return kUnreachable;
        }
        if (message->contains("data")) printer.write((*message)["name"].get<std::string>(), (*message)["data"].get<std::string>());
    }
}

} // namespace svctl
