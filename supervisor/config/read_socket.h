// [socket.NAME]: a listening socket svd binds and hands to programs.
#pragma once

#include "config/diagnostics.h"
#include "config/model.h"
#include "config/value_expander.h"

#include <optional>
#include <string>
#include <string_view>
#include "config/toml.h"

namespace svd::config {

/// The longest unix socket path: sun_path holds 108 bytes with the NUL.
inline constexpr std::size_t kMaxUnixPathBytes = 107;

struct ListenAddress {
    Socket::Kind kind = Socket::Kind::Tcp;
    std::string host; ///< tcp: numeric, IPv6 without brackets
    int port = 0;     ///< tcp
    std::string path; ///< unix: as written, maybe relative
};

/// Parses a `listen` value after expansion: "HOST:PORT" with a numeric
/// IPv4 host, "localhost" (127.0.0.1) or "*" (0.0.0.0); "[IPv6]:PORT";
/// or "unix:PATH". Ports below 1024 are refused: binding them needs root.
[[nodiscard]] std::optional<ListenAddress> parse_listen(std::string_view text, std::string* error);

/// Reads [socket.NAME] from `table` in `file`. Unix paths are made absolute
/// against expander.base_dir(). Problems go to `diag`; nullopt when the
/// socket is unusable.
std::optional<Socket> read_socket(const std::string& name, const toml::table& table, const std::string& file,
                                  const ValueExpander& expander, Diagnostics& diag);

} // namespace svd::config
