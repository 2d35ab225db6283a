// procs/: the machine's processes as /proc shows them, read once per
// question through Debian's libproc2 (procps): who is in a process group,
// who descends from whom. Used to end a program's whole tree, including
// what left its group (setsid), and by the next svd to find what a killed
// one left behind.
#pragma once

#include <set>
#include <string>
#include <sys/types.h>
#include <vector>

namespace svd::procs {

struct ProcessInfo {
    pid_t pid = 0;
    pid_t ppid = 0;
    pid_t pgrp = 0;
    char state = '?';                  ///< 'Z' for a zombie
    unsigned long long start_time = 0; ///< clock ticks since boot (field 22 of /proc/PID/stat)
};

/// A process as it is now; false when it is gone.
[[nodiscard]] bool read_process(pid_t pid, ProcessInfo& out);
/// Every process on the machine.
std::vector<ProcessInfo> read_process_table();
/// The live (non-zombie) members of process group `pgid` and everything
/// that descends from them by parent links, whatever group or session it
/// moved to. `pgid` itself is included when it is alive.
std::vector<ProcessInfo> tree_of_group(const std::vector<ProcessInfo>& table, pid_t pgid);
/// True while `pid` runs with that start time (not gone, not a zombie, not
/// a new process that reused the pid).
bool still_running(pid_t pid, unsigned long long start_time);
/// The whole of a small file (in /proc or not), empty when it is gone (plain read(2):
/// an ifstream throws when the process exits while it is read).
std::string read_small_file(const std::string& path);

} // namespace svd::procs
