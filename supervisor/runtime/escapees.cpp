#include "runtime/escapees.h"
#include "procs/process_table.h"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <dirent.h>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

namespace svd::runtime {

using procs::read_small_file;


std::vector<Escapee> find_escapees(const std::set<std::string>& names, const std::function<bool(pid_t)>& tracked) {
    std::vector<Escapee> found;
    static const std::string kTag = "SVD_PROGRAM=";
    // Our direct children, from the kernel's own lists (one small read per
    // thread), not a scan of every process on the machine, and once per
    // batch of reaps: reading /proc/*/stat for 1,000 programs times 1,000
    // reaps made `stop all` take seconds.
    std::vector<pid_t> children;
    if (DIR* tasks = opendir("/proc/self/task")) {
        while (dirent* task = readdir(tasks)) {
            if (task->d_name[0] == '.') continue;
            std::string list = read_small_file(std::string("/proc/self/task/") + task->d_name + "/children");
            const char* at = list.c_str();
            char* end = nullptr;
            for (long pid = std::strtol(at, &end, 10); end != at; pid = std::strtol(at, &end, 10)) {
                children.push_back(static_cast<pid_t>(pid));
                at = end;
            }
        }
        closedir(tasks);
    }
    for (pid_t pid : children) {
        if (pid <= 0 || tracked(pid)) continue;
        // A zombie's environ reads empty: it is reaped, not killed.
        std::string environment = read_small_file("/proc/" + std::to_string(pid) + "/environ");
        std::size_t at = 0;
        std::string name;
        while (at < environment.size()) {
            std::size_t end = environment.find('\0', at);
            if (end == std::string::npos) end = environment.size();
            if (environment.compare(at, kTag.size(), kTag) == 0)
                name = environment.substr(at + kTag.size(), end - at - kTag.size());
            at = end + 1;
        }
        if (name.empty() || !names.count(name)) continue;
        found.push_back({name, pid});
    }
    return found;
}

} // namespace svd::runtime
