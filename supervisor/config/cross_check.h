// Checks that need the whole config: what programs require of each other,
// and sockets that would collide.
#pragma once

#include "config/diagnostics.h"
#include "config/model.h"

namespace svd::config {

/// Reports, each at the user's text:
///  - a `requires` naming no program (with a suggestion), unless
///    `all_files_read` is false: a file that did not parse may define it;
///  - "completed" on a program that is not a oneshot;
///  - "healthy" on a program without a health check;
///  - every dependency cycle, once, naming each edge and where it is written;
///  - two sockets on the same address, or one on the control socket's path.
void cross_check(const Config& config, bool all_files_read, Diagnostics& diag);

} // namespace svd::config
