// The targets of tcp and http probes: parsed once, at load, into the
// ProbeEndpoint the runtime connects to.
#pragma once

#include "config/model.h"

#include <optional>
#include <string>
#include <string_view>

namespace svd::config {

/// "HOST:PORT" or "[IPv6]:PORT". HOST is a numeric address or "localhost";
/// wildcards ("*", "0.0.0.0", "[::]") mean this machine's loopback, so a
/// target copied from a `listen` value works. On failure nullopt and `*error`
/// says why (without the input).
[[nodiscard]] std::optional<ProbeEndpoint> parse_tcp_target(std::string_view text, std::string* error);

/// "http://HOST[:PORT][/PATH][?QUERY]", HOST as for parse_tcp_target, port 80
/// when absent. On failure nullopt and `*error` says why (without the input).
[[nodiscard]] std::optional<ProbeEndpoint> parse_http_target(std::string_view url, std::string* error);

} // namespace svd::config
