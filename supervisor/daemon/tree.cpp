#include "daemon/tree.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace svd::daemon {

bool make_directories(const std::string& path, unsigned mode, std::string& error) {
    if (path.empty()) return true;
    std::size_t position = 0;
    while (position != std::string::npos) {
        position = path.find('/', position + 1);
        std::string prefix = path.substr(0, position);
        if (prefix.empty()) continue;
        if (mkdir(prefix.c_str(), mode) != 0 && errno != EEXIST) {
            error = "cannot create directory " + prefix + ": " + std::strerror(errno);
            return false;
        }
    }
    struct stat info {};
    if (stat(path.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
        error = path + " is not a directory";
        return false;
    }
    return true;
}

bool prepare_tree(const config::Config& config, std::string& error) {
    if (!make_directories(config.svd.home, 0755, error)) return false;
    if (!make_directories(config.svd.log_dir, 0750, error)) return false;
    if (!make_directories(config.svd.run_dir, 0700, error)) return false;
    return true;
}

TreeLock::~TreeLock() {
    if (fd_ >= 0) {
        unlink(path_.c_str());
        close(fd_);
    }
}

bool TreeLock::acquire(const std::string& path, std::string& error) {
    fd_ = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0) {
        error = "cannot open lock file " + path + ": " + std::strerror(errno);
        return false;
    }
    if (flock(fd_, LOCK_EX | LOCK_NB) != 0) {
        char pid[32] = {0};
        [[maybe_unused]] auto got = read(fd_, pid, sizeof pid - 1);
        error = "another svd (pid " + std::string(pid[0] ? pid : "?") + ") already supervises this tree (" + path +
                ")";
        close(fd_);
        fd_ = -1;
        return false;
    }
    path_ = path;
    std::string text = std::to_string(getpid()) + "\n";
    [[maybe_unused]] auto truncated = ftruncate(fd_, 0);
    [[maybe_unused]] auto written = pwrite(fd_, text.data(), text.size(), 0);
    return true;
}

} // namespace svd::daemon
