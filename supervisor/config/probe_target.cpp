// Names are refused here, not resolved at runtime (uv_getaddrinfo): svd
// probes programs it runs itself, on this machine, so a numeric address or
// "localhost" always says the same; a lookup would run on libuv's small
// threadpool every 250 ms per probe, and a slow or changed resolver would
// turn into "not ready" long after `svd --check` said the config was fine.
// [socket] listen refuses names for the same reason.
#include "config/probe_target.h"

#include <arpa/inet.h>

namespace svd::config {
namespace {

bool is_address(int family, const std::string& host) {
    in6_addr buffer{};
    return inet_pton(family, host.c_str(), &buffer) == 1;
}

std::optional<int> parse_port(std::string_view text, std::string* error) {
    bool digits = !text.empty() && text.size() <= 5;
    int port = 0;
    for (char c : text) {
        digits = digits && c >= '0' && c <= '9';
        if (digits) port = port * 10 + (c - '0');
    }
    if (!digits || port < 1 || port > 65535) {
        *error = "invalid port \"" + std::string(text) + "\": expected a number from 1 to 65535";
        return std::nullopt;
    }
    return port;
}

/// HOST[:PORT] or [IPv6][:PORT]; without a port, `default_port` (0: required).
std::optional<ProbeEndpoint> parse_authority(std::string_view text, int default_port, std::string* error) {
    ProbeEndpoint endpoint;
    std::string_view port_text;
    bool has_port = false;
    if (!text.empty() && text.front() == '[') {
        auto close = text.find(']');
        if (close == std::string_view::npos || (close + 1 < text.size() && text[close + 1] != ':')) {
            *error = "expected \"[IPv6]:PORT\"";
            return std::nullopt;
        }
        endpoint.host = std::string(text.substr(1, close - 1));
        has_port = close + 1 < text.size();
        if (has_port) port_text = text.substr(close + 2);
        if (!is_address(AF_INET6, endpoint.host)) {
            *error = "invalid IPv6 address \"" + endpoint.host + "\"";
            return std::nullopt;
        }
        endpoint.family = ProbeEndpoint::Family::V6;
        if (endpoint.host == "::") endpoint.host = "::1";
    } else {
        auto colon = text.rfind(':');
        has_port = colon != std::string_view::npos;
        endpoint.host = std::string(text.substr(0, has_port ? colon : text.size()));
        if (has_port) port_text = text.substr(colon + 1);
        if (endpoint.host.find(':') != std::string::npos) {
            *error = "write an IPv6 address in brackets: \"[" + endpoint.host + "]" +
                     (has_port ? ":" + std::string(port_text) : "") + "\"";
            return std::nullopt;
        }
        if (endpoint.host.empty()) {
            *error = "expected \"HOST:PORT\" (the host is missing)";
            return std::nullopt;
        }
        if (endpoint.host == "localhost" || endpoint.host == "*" || endpoint.host == "0.0.0.0")
            endpoint.host = "127.0.0.1";
        if (!is_address(AF_INET, endpoint.host)) {
            *error = "\"" + endpoint.host +
                     "\" is a name, and svd probes without name lookups; write a numeric address "
                     "such as \"127.0.0.1\" or \"[::1]\", or \"localhost\"";
            return std::nullopt;
        }
    }
    if (!has_port) {
        if (default_port == 0) {
            *error = "expected \"HOST:PORT\" (the port is missing)";
            return std::nullopt;
        }
        endpoint.port = default_port;
        return endpoint;
    }
    auto port = parse_port(port_text, error);
    if (!port) return std::nullopt;
    endpoint.port = *port;
    return endpoint;
}

} // namespace

std::optional<ProbeEndpoint> parse_tcp_target(std::string_view text, std::string* error) {
    return parse_authority(text, 0, error);
}

std::optional<ProbeEndpoint> parse_http_target(std::string_view url, std::string* error) {
    constexpr std::string_view kScheme = "http://";
    if (url.substr(0, kScheme.size()) != kScheme) {
        *error = url.substr(0, 8) == "https://" ? "expected an http:// URL (https is not supported: probe the plain-http port)"
                                                 : "expected an http:// URL";
        return std::nullopt;
    }
    std::string_view rest = url.substr(kScheme.size());
    auto fragment = rest.find('#'); // never sent to a server
    if (fragment != std::string_view::npos) rest = rest.substr(0, fragment);
    auto authority_end = rest.find_first_of("/?");
    std::string_view authority = rest.substr(0, authority_end);
    if (authority.find('@') != std::string_view::npos) {
        *error = "user information (\"user@\") in a probe URL is not supported";
        return std::nullopt;
    }
    auto endpoint = parse_authority(authority, 80, error);
    if (!endpoint) return std::nullopt;
    endpoint->host_header = std::string(authority);
    if (authority_end != std::string_view::npos) {
        endpoint->path = std::string(rest.substr(authority_end));
        if (endpoint->path.front() == '?') endpoint->path.insert(0, "/");
    }
    return endpoint;
}

} // namespace svd::config
