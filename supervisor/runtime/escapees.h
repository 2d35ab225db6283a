// runtime/: processes that left their program's process group (double fork
// + setsid) and were adopted by svd as subreaper. They are recognised by
// the SVD_PROGRAM=name that every child of a program inherits.
#pragma once

#include <functional>
#include <set>
#include <string>
#include <sys/types.h>

namespace svd::runtime {

/// SIGKILLs every direct child of svd (and its group) that is not `tracked`
/// and whose SVD_PROGRAM is one of `names`. Logs each one.
void kill_escapees(const std::set<std::string>& names, const std::function<bool(pid_t)>& tracked);

} // namespace svd::runtime
