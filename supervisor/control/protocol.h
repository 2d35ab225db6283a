// The control protocol between svctl and svd: one JSON object per line in
// each direction, over the owner-only UNIX socket.
//
//   request:  {"v":1, "verb":"start", "names":["web"], "args":{"wait":true}}
//   reply:    {"v":1, "ok":true,  ...verb-specific fields}
//             {"v":1, "ok":false, "error":"unknown verb 'strat'", "hint":"did you mean 'start'?"}
// Multi-program verbs reply with "results": [{"name", "ok", "state", "message"}].
// Streaming verbs (tail -f) send one reply, then {"v":1,"name":..,"stream":"stdout","data":..}
// lines until the client hangs up. A request with another "v" gets an error reply.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace svd::control {

constexpr int kProtocolVersion = 1;
/// Longer request lines are refused: no client needs more, and it bounds memory.
constexpr std::size_t kMaxRequestBytes = 64 * 1024;

struct Request {
    std::string verb;
    std::vector<std::string> names;
    nlohmann::json args = nlohmann::json::object();
};

struct ParsedRequest {
    std::optional<Request> request;
    std::string error; ///< set when request is empty
};

/// Parses one request line. Never throws: malformed input yields an error text.
ParsedRequest parse_request(std::string_view line);

nlohmann::json make_request(const Request& request);
nlohmann::json ok_reply();
nlohmann::json error_reply(const std::string& message, const std::string& hint = {});

} // namespace svd::control
