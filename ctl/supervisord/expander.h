// supervisord's `%(name)s` expansions (Python %-formatting with a dict),
// turned into text svd reads the same way.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace svctl::supervisord {

struct Expander {
    std::map<std::string, std::string> values;
    bool uses_host = false; ///< set once %(host_node_name)s was expanded

    /// svd text for `text`: %(ENV_X)s becomes ${env:X}, every other name its
    /// value, %% a '%'. nullopt with `error` for an unknown name.
    [[nodiscard]] std::optional<std::string> svd_text(std::string_view text, std::string& error);
    /// The value with no ${...} left: for names, numbers and switches, which
    /// svd reads literally.
    [[nodiscard]] std::optional<std::string> literal(std::string_view text, std::string& error);
};

} // namespace svctl::supervisord
