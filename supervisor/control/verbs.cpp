#include "control/verbs.h"

#include <array>

namespace svd::control {
namespace {

constexpr std::array kVerbs = {
    Verb{"status", "[NAME...|all]", "programs, states, pids, uptime (--json for scripts)"},
    Verb{"start", "NAME...|all [--no-wait]", "start, with what they require; waits until RUNNING"},
    Verb{"stop", "NAME...|all", "stop; programs that require them stop first"},
    Verb{"restart", "NAME...|all", "stop then start"},
    Verb{"signal", "SIG NAME...|all", "send a signal (TERM, HUP, USR1, 9, ...)"},
    Verb{"pid", "[NAME...]", "svd's pid, or the programs' pids"},
    Verb{"tail", "[-f] [-n N] [--stderr] NAME...|all", "show (and follow) program output"},
    Verb{"logs", "[-f] [-n N] [--stderr] NAME...|all", "", VerbSide::Svd, "tail"},
    Verb{"sockets", "", "the listening sockets svd holds"},
    Verb{"reopen", "", "reopen every log file (after an external logrotate)"},
    Verb{"reread", "", "show what changed in the config on disk, touching nothing"},
    Verb{"update", "[NAME...]", "apply it: start added, restart changed, stop removed programs"},
    Verb{"reload", "", "re-execute svd (after an upgrade); programs keep running"},
    Verb{"shutdown", "", "stop every program, then svd"},
    Verb{"version", "", "versions of svctl and svd"},
    Verb{"import", "SUPERVISORD.CONF [--out DIR]", "convert a supervisord config into svd drop-ins", VerbSide::Local},
    Verb{"export", "systemd [--out DIR]", "write systemd user units for the config's programs and sockets",
         VerbSide::Local},
};

// The help column starts here, or 3 spaces after a longer synopsis.
constexpr std::size_t kHelpColumn = 32;

std::string name_and_synopsis(const Verb& verb) {
    std::string text(verb.name);
    if (!verb.synopsis.empty()) text += " " + std::string(verb.synopsis);
    return text;
}

} // namespace

std::span<const Verb> verbs() { return kVerbs; }

const Verb* find_verb(std::string_view name) {
    for (const Verb& verb : kVerbs)
        if (verb.name == name) return &verb;
    return nullptr;
}

std::vector<std::string> svd_verb_names() {
    std::vector<std::string> names;
    for (const Verb& verb : kVerbs)
        if (verb.side == VerbSide::Svd && verb.alias_of.empty()) names.emplace_back(verb.name);
    return names;
}

std::string verb_usage_lines() {
    std::string text;
    for (const Verb& verb : kVerbs) {
        if (verb.help.empty()) continue;
        std::string left = name_and_synopsis(verb);
        std::size_t pad = left.size() + 3 > kHelpColumn ? 3 : kHelpColumn - left.size();
        text += "  " + left + std::string(pad, ' ') + std::string(verb.help) + "\n";
    }
    return text;
}

std::string verb_usage(const Verb& verb) { return "usage: svctl " + name_and_synopsis(verb); }

} // namespace svd::control
