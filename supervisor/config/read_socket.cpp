#include "config/read_socket.h"

#include "config/toml_fields.h"

#include <arpa/inet.h>

namespace svd::config {
namespace {

const std::vector<std::string> kSocketKeys = {"listen", "mode", "backlog"};

constexpr std::string_view kUnixScheme = "unix:";
constexpr std::string_view kListenForms = "expected \"HOST:PORT\", \"[IPv6]:PORT\" or \"unix:PATH\"";

std::optional<int> parse_port(std::string_view text, std::string* error) {
    bool digits = !text.empty() && text.size() <= 5;
    for (char c : text) digits = digits && c >= '0' && c <= '9';
    int port = 0;
    if (digits)
        for (char c : text) port = port * 10 + (c - '0');
    if (!digits || port < 1 || port > 65535) {
        *error = "invalid port \"" + std::string(text) + "\": expected a number from 1 to 65535";
        return std::nullopt;
    }
    if (port < 1024) {
        int suggestion = port + 8000;
        *error = "port " + std::to_string(port) + " is below 1024, and binding it needs root; use a port of 1024 or more, such as " +
                 std::to_string(suggestion);
        return std::nullopt;
    }
    return port;
}

bool is_ipv4(const std::string& host) {
    in_addr address{};
    return inet_pton(AF_INET, host.c_str(), &address) == 1;
}

bool is_ipv6(const std::string& host) {
    in6_addr address{};
    return inet_pton(AF_INET6, host.c_str(), &address) == 1;
}

} // namespace

std::optional<ListenAddress> parse_listen(std::string_view text, std::string* error) {
    ListenAddress address;
    if (text.substr(0, kUnixScheme.size()) == kUnixScheme) {
        address.kind = Socket::Kind::Unix;
        address.path = std::string(text.substr(kUnixScheme.size()));
        if (address.path.empty()) {
            *error = "missing path after \"unix:\"";
            return std::nullopt;
        }
        return address;
    }
    std::string_view port_text;
    if (!text.empty() && text.front() == '[') {
        auto close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
            *error = "invalid address \"" + std::string(text) + "\": expected \"[IPv6]:PORT\"";
            return std::nullopt;
        }
        address.host = std::string(text.substr(1, close - 1));
        if (!is_ipv6(address.host)) {
            *error = "invalid IPv6 address \"" + address.host + "\"";
            return std::nullopt;
        }
        port_text = text.substr(close + 2);
    } else {
        auto colon = text.rfind(':');
        if (colon == std::string_view::npos) {
            *error = "invalid address \"" + std::string(text) + "\": " + std::string(kListenForms);
            return std::nullopt;
        }
        address.host = std::string(text.substr(0, colon));
        port_text = text.substr(colon + 1);
        if (address.host.find(':') != std::string::npos) {
            *error = "write an IPv6 address in brackets: \"[" + address.host + "]:" + std::string(port_text) + "\"";
            return std::nullopt;
        }
        if (address.host == "localhost") address.host = "127.0.0.1";
        if (address.host == "*") address.host = "0.0.0.0";
        if (!is_ipv4(address.host)) {
            *error = "invalid host \"" + address.host +
                     "\": expected a numeric IPv4 address, \"localhost\", \"*\" or \"[IPv6]\" (svd binds before any name lookup)";
            return std::nullopt;
        }
    }
    auto port = parse_port(port_text, error);
    if (!port) return std::nullopt;
    address.port = *port;
    return address;
}

std::optional<Socket> read_socket(const std::string& name, const toml::table& table, const std::string& file,
                                  const ValueExpander& expander, Diagnostics& diag) {
    TableFields fields(table, file, "[socket." + name + "]", "", kSocketKeys, diag);
    Socket socket;
    socket.name = name;
    socket.where = fields.table_where();
    if (auto backlog = fields.integer("backlog", 1, 65535)) socket.backlog = static_cast<int>(*backlog);

    if (!fields.has("listen")) {
        fields.missing("listen");
        return std::nullopt;
    }
    auto written = fields.string("listen");
    if (!written) return std::nullopt;
    Location listen_where = fields.where("listen");
    auto listen = expander.text(*written, listen_where, "listen");
    if (!listen) return std::nullopt;
    std::string why;
    auto address = parse_listen(*listen, &why);
    if (!address) {
        diag.error(listen_where, "invalid 'listen' for socket '" + name + "': " + why);
        return std::nullopt;
    }
    socket.listen = *listen;
    socket.kind = address->kind;
    socket.host = address->host;
    socket.port = address->port;

    if (socket.kind == Socket::Kind::Unix) {
        socket.path = absolute_path(address->path, expander.base_dir());
        if (socket.path.size() > kMaxUnixPathBytes) {
            diag.error(listen_where, "unix socket path \"" + socket.path + "\" is " + std::to_string(socket.path.size()) +
                                         " bytes; the limit is " + std::to_string(kMaxUnixPathBytes) +
                                         " (sun_path), so use a shorter directory");
            return std::nullopt;
        }
        if (auto mode = fields.file_mode("mode", 0777)) socket.mode = *mode;
    } else if (fields.has("mode")) {
        fields.error("mode", "'mode' only applies to unix sockets, and socket '" + name + "' listens on TCP");
    }
    return socket;
}

} // namespace svd::config
