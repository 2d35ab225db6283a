// The verbs of svctl and of the control protocol, in one table. svd's
// dispatcher suggests from it, svctl parses against it and prints its usage
// from it, and the completion tests check every shell script offers each
// one (`svctl --list-verbs` prints the names): a verb added here and
// forgotten elsewhere fails a test instead of going unnoticed.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace svd::control {

enum class VerbSide {
    Svd,   ///< sent to svd and handled there
    Local, ///< svctl does it alone, on files (import, export)
};

struct Verb {
    std::string_view name;
    std::string_view synopsis; ///< the arguments, as usage shows them: "NAME...|all [--no-wait]"
    std::string_view help;     ///< one line for the usage text; empty for an alias
    VerbSide side = VerbSide::Svd;
    std::string_view alias_of = {}; ///< "tail" for "logs": same runner, same request, not in the usage
};

/// Every verb, in the order the usage lists them.
std::span<const Verb> verbs();
/// The verb called `name` (aliases included), or null.
const Verb* find_verb(std::string_view name);
/// The names svd answers to (no aliases, no local verbs): what its
/// "did you mean" chooses from.
std::vector<std::string> svd_verb_names();
/// "  NAME SYNOPSIS   help" lines for every verb that has help.
std::string verb_usage_lines();
/// "usage: svctl NAME SYNOPSIS".
std::string verb_usage(const Verb& verb);

} // namespace svd::control
