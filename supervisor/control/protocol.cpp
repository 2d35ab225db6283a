#include "control/protocol.h"

namespace svd::control {

using nlohmann::json;

ParsedRequest parse_request(std::string_view line) {
    ParsedRequest parsed;
    json doc = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!doc.is_discarded()) {
        // Copying a json recurses once per level: refuse deep nesting before
        // anything copies the request (walked iteratively here).
        std::vector<std::pair<const json*, int>> stack{{&doc, 1}};
        while (!stack.empty()) {
            auto [node, depth] = stack.back();
            stack.pop_back();
            if (depth > 64) {
                parsed.error = "malformed request: nested more than 64 levels deep";
                return parsed;
            }
            if (node->is_structured())
                for (const auto& child : *node) stack.push_back({&child, depth + 1});
        }
    }
    if (doc.is_discarded()) {
        parsed.error = "malformed request: not a JSON object";
        return parsed;
    }
    if (!doc.is_object()) {
        parsed.error = "malformed request: expected a JSON object";
        return parsed;
    }
    auto version = doc.find("v");
    if (version == doc.end()) {
        parsed.error = "malformed request: missing protocol version \"v\"";
        return parsed;
    }
    if (!version->is_number_integer()) {
        parsed.error = "malformed request: protocol version \"v\" must be an integer, not " + version->dump();
        return parsed;
    }
    if (version->get<long long>() != kProtocolVersion) {
        parsed.error = "unsupported protocol version " + version->dump() + " (svd speaks " +
                       std::to_string(kProtocolVersion) + "); use the svctl that came with this svd";
        return parsed;
    }
    auto verb = doc.find("verb");
    if (verb == doc.end() || !verb->is_string() || verb->get<std::string>().empty()) {
        parsed.error = "malformed request: \"verb\" must be a non-empty string";
        return parsed;
    }
    Request request;
    request.verb = verb->get<std::string>();
    if (auto names = doc.find("names"); names != doc.end()) {
        if (!names->is_array()) {
            parsed.error = "malformed request: \"names\" must be an array of strings";
            return parsed;
        }
        for (const auto& name : *names) {
            if (!name.is_string()) {
                parsed.error = "malformed request: \"names\" must be an array of strings";
                return parsed;
            }
            request.names.push_back(name.get<std::string>());
        }
    }
    if (auto args = doc.find("args"); args != doc.end()) {
        if (!args->is_object()) {
            parsed.error = "malformed request: \"args\" must be an object";
            return parsed;
        }
        request.args = *args;
    }
    parsed.request = std::move(request);
    return parsed;
}

json make_request(const Request& request) {
    return json{{"v", kProtocolVersion}, {"verb", request.verb}, {"names", request.names}, {"args", request.args}};
}

json ok_reply() { return json{{"v", kProtocolVersion}, {"ok", true}}; }

json error_reply(const std::string& message, const std::string& hint) {
    json reply{{"v", kProtocolVersion}, {"ok", false}, {"error", message}};
    if (!hint.empty()) reply["hint"] = hint;
    return reply;
}

} // namespace svd::control
