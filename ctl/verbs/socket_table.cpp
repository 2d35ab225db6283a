#include "verbs/socket_table.h"

#include "text/join.h"

#include <algorithm>
#include <array>
#include <iostream>
#include <vector>

namespace svctl {

void print_socket_table(const nlohmann::json& sockets) {
    std::vector<std::array<std::string, 3>> rows{{"SOCKET", "LISTEN", "PROGRAMS"}};
    for (const auto& socket : sockets) {
        std::string programs =
            svd::text::join(socket["programs"], ",", [](const nlohmann::json& name) { return name.get<std::string>(); });
        rows.push_back({socket["name"].get<std::string>(), socket["listen"].get<std::string>(),
                        programs.empty() ? "-" : programs});
    }
    std::array<std::size_t, 2> widths{};
    for (const auto& row : rows)
        for (std::size_t column = 0; column < widths.size(); ++column)
            widths[column] = std::max(widths[column], row[column].size());
    for (const auto& row : rows)
        std::cout << row[0] << std::string(widths[0] - row[0].size() + 2, ' ') << row[1]
                  << std::string(widths[1] - row[1].size() + 2, ' ') << row[2] << "\n";
}

} // namespace svctl
