// Whose tree a process is in: what stop and drain signal.
#include "procs/process_table.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <unistd.h>

using namespace svd::procs;

namespace {

ProcessInfo process(pid_t pid, pid_t ppid, pid_t pgrp, char state = 'S') { return {pid, ppid, pgrp, state, 100}; }

std::vector<pid_t> pids(const std::vector<ProcessInfo>& processes) {
    std::vector<pid_t> out;
    for (const auto& p : processes) out.push_back(p.pid);
    std::sort(out.begin(), out.end());
    return out;
}

} // namespace

TEST_CASE("a group's tree holds its members and what descends from them in other groups", "[procs]") {
    std::vector<ProcessInfo> table = {
        process(1, 0, 1),         // init
        process(10, 1, 10),       // svd
        process(20, 10, 20),      // the program's leader
        process(21, 20, 20),      // a worker in its group
        process(22, 20, 22),      // setsid: a group of its own
        process(23, 22, 22),      // and its child
        process(30, 10, 30),      // another program
        process(31, 21, 31, 'Z'), // a zombie: walked through, not listed
        process(32, 31, 32),
    };
    CHECK(pids(tree_of_group(table, 20)) == std::vector<pid_t>{20, 21, 22, 23, 32});
    CHECK(pids(tree_of_group(table, 30)) == std::vector<pid_t>{30});
    CHECK(tree_of_group(table, 99).empty());
}

TEST_CASE("a reaped leader's group is still found by its members", "[procs]") {
    std::vector<ProcessInfo> table = {process(10, 1, 10), process(21, 10, 20), process(22, 21, 22)};
    CHECK(pids(tree_of_group(table, 20)) == std::vector<pid_t>{21, 22});
}

TEST_CASE("the running process reads back as itself", "[procs]") {
    ProcessInfo self;
    REQUIRE(read_process(getpid(), self));
    CHECK(self.pid == getpid());
    CHECK(self.ppid == getppid());
    CHECK(self.pgrp == getpgrp());
    CHECK(still_running(getpid(), self.start_time));
    CHECK_FALSE(still_running(getpid(), self.start_time + 1));
}
