// runtime/: processes that left their program's process group (double fork
// + setsid) and were adopted by svd as subreaper. They are recognised by
// the SVD_PROGRAM=name that every child of a program inherits.
#pragma once

#include <functional>
#include <set>
#include <string>
#include <sys/types.h>
#include <vector>

namespace svd::runtime {

struct Escapee {
    std::string name; ///< the program it came from
    pid_t pid;
};

/// Every direct child of svd that is not `tracked` and whose SVD_PROGRAM
/// is one of `names`; the caller ends them with their program's stop
/// sequence (runtime/remnants.h).
std::vector<Escapee> find_escapees(const std::set<std::string>& names, const std::function<bool(pid_t)>& tracked);

} // namespace svd::runtime
