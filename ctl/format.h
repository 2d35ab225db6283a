// How svctl prints for humans: durations like 3h12m, colour only on a
// terminal and never with NO_COLOR.
#pragma once

#include <string>

namespace svctl {

/// 0s, 42s, 3m05s, 3h12m, 2d04h
std::string human_duration(long long seconds);
bool use_colour();
/// The state name coloured for a terminal (green RUNNING, red FATAL, ...).
std::string colour_state(const std::string& state, bool colour);

} // namespace svctl
