// [program.NAME]: one supervised program.
#pragma once

#include "config/diagnostics.h"
#include "config/model.h"
#include "config/value_expander.h"

#include <optional>
#include <string>
#include "config/toml.h"
#include <vector>

namespace svd::config {

/// Reads [program.NAME] from `table` in `file`. Values are expanded by
/// `expander`, relative paths taken from its base_dir(). Each name in
/// `sockets` must be one of `*socket_names` (unchecked when null: a file that
/// did not parse may define the missing ones). Checks that need the other
/// programs (requires) are left to cross_check. Problems go to `diag`; the
/// program is returned anyway, with defaults where values were wrong, so
/// later checks still know it.
/// With `base`, the table is an overlay (a [profile.P.program.NAME]): the
/// result is `base` with only the keys written in `table` replaced (tables
/// such as environment merge key by key), and `command` is not required.
Program read_program(const std::string& name, const toml::table& table, const std::string& file,
                     const ValueExpander& expander, const std::vector<std::string>* socket_names,
                     Diagnostics& diag, const Program* base = nullptr);

} // namespace svd::config
