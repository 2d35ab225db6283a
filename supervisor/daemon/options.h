#pragma once
// svd's command line: the options of svd(8), and --adopt-state, the
// internal option a reload re-executes svd with (daemon/handover.h).
#include <string>
#include <vector>

namespace svd::daemon {

struct Options {
    std::string config;
    bool daemon = false;
    bool check = false;
    bool allow_root = false;
    std::string profile;
    std::vector<std::string> argv;
};

/// Parses argv into `options`. Returns -1 to carry on, or the exit status
/// when svd should exit now (0 after --help/--version, 2 on a usage error,
/// both already printed).
int parse_options(int argc, char** argv, Options& options);

/// --adopt-state FD, looked for before the options are parsed: a new image
/// that does not understand its options must still fall back. -1 when
/// absent or malformed (never stdin, which atoi's 0 would have read).
int adopt_state_fd(int argc, char** argv);

} // namespace svd::daemon
