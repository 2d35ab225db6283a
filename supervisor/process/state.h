// The states a supervised program goes through. They are supervisord's, so
// its users read `svctl status` without a manual, plus WAITING for a program
// held back by a dependency.
#pragma once

#include <optional>
#include <string>

namespace svd::process {

enum class State { Stopped, Waiting, Starting, Running, Backoff, Stopping, Exited, Fatal };

/// "STOPPED", "RUNNING", ...
const char* to_string(State state);
std::optional<State> state_from_string(const std::string& text);

/// True for states with a live process (STARTING, RUNNING, STOPPING).
bool has_process(State state);

/// Text a user reads for a wait(2) status: "exit status 1", "killed by signal 9 (KILL)".
std::string describe_wait_status(int wait_status);

} // namespace svd::process
