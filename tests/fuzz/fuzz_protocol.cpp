// libFuzzer target: one control-protocol request line, as any local client of
// the owner's uid could send it. parse_request must never throw, crash or
// leak, and whatever it accepts must survive the round trip through
// make_request (what svctl sends) and encode_line (what svd writes back).
#include "control/protocol.h"
#include "control/server.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view line(reinterpret_cast<const char*>(data), size);
    svd::control::ParsedRequest parsed = svd::control::parse_request(line);
    if (!parsed.request) {
        if (parsed.error.empty()) std::abort(); // a refusal always says why
        // The refusal goes back to the client as one line.
        (void)svd::control::encode_line(svd::control::error_reply(parsed.error));
        return 0;
    }
    const svd::control::Request& request = *parsed.request;
    if (request.verb.empty() || !request.args.is_object()) std::abort();
    // What svctl would send for this request parses back to the same request.
    std::string again = svd::control::encode_line(svd::control::make_request(request));
    if (again.empty() || again.back() != '\n') std::abort();
    again.pop_back();
    svd::control::ParsedRequest reparsed = svd::control::parse_request(again);
    // Strings with invalid UTF-8 are replaced on the way out, so only valid
    // ones must come back identical.
    if (reparsed.request && again.find("\xEF\xBF\xBD") == std::string::npos &&
        (reparsed.request->verb != request.verb || reparsed.request->names != request.names ||
         reparsed.request->args != request.args))
        std::abort();
    return 0;
}
