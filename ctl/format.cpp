#include "format.h"

#include <cstdio>
#include <cstdlib>
#include <unistd.h>

namespace svctl {

std::string human_duration(long long seconds) {
    if (seconds < 0) seconds = 0;
    char text[32];
    if (seconds < 60) snprintf(text, sizeof text, "%llds", seconds);
    else if (seconds < 3600) snprintf(text, sizeof text, "%lldm%02llds", seconds / 60, seconds % 60);
    else if (seconds < 86400) snprintf(text, sizeof text, "%lldh%02lldm", seconds / 3600, seconds % 3600 / 60);
    else snprintf(text, sizeof text, "%lldd%02lldh", seconds / 86400, seconds % 86400 / 3600);
    return text;
}

bool use_colour() {
    const char* no_colour = std::getenv("NO_COLOR");
    if (no_colour && *no_colour) return false;
    const char* term = std::getenv("TERM");
    if (term && std::string(term) == "dumb") return false;
    return isatty(STDOUT_FILENO) == 1;
}

std::string colour_state(const std::string& state, bool colour) {
    if (!colour) return state;
    const char* code = "0";
    if (state == "RUNNING") code = "32";
    else if (state == "FATAL" || state == "BACKOFF") code = "31";
    else if (state == "STARTING" || state == "STOPPING" || state == "WAITING") code = "33";
    else if (state == "EXITED" || state == "STOPPED") code = "2";
    return std::string("\033[") + code + "m" + state + "\033[0m";
}

} // namespace svctl
