// `svctl sockets`: the sockets svd holds, as a table with a header.
#pragma once

#include <nlohmann/json.hpp>

namespace svctl {

/// SOCKET LISTEN PROGRAMS, one row per socket of svd's reply, columns aligned.
void print_socket_table(const nlohmann::json& sockets);

} // namespace svctl
