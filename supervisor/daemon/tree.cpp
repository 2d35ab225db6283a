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
    // Only svd's user has any business in its tree (issue 15): home and
    // run_dir 0700, logs 0750 so a group (e.g. a log shipper) can read them.
    if (!make_directories(config.svd.home, 0700, error)) return false;
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

std::string lock_path(const config::Config& config) { return config.svd.home + "/.svd.lock"; }

namespace {

/// The pid written in the lock file, digits only ("18020\n" -> "18020").
std::string pid_in(int fd) {
    char text[32] = {0};
    ssize_t n = pread(fd, text, sizeof text - 1, 0);
    std::string pid;
    for (ssize_t i = 0; i < n && text[i] >= '0' && text[i] <= '9'; ++i) pid += text[i];
    return pid;
}

} // namespace

pid_t lock_holder(const std::string& path) {
    int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return 0;
    pid_t holder = 0;
    if (flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
        std::string pid = pid_in(fd);
        holder = pid.empty() ? -1 : static_cast<pid_t>(std::stol(pid));
    }
    close(fd);
    return holder;
}

bool TreeLock::acquire(const std::string& path, std::string& error) {
    // O_NOFOLLOW: a symlink planted at the lock's place must not make svd
    // truncate and write whatever it points to.
    fd_ = open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd_ < 0) {
        error = "cannot open lock file " + path + ": " + std::strerror(errno);
        return false;
    }
    if (flock(fd_, LOCK_EX | LOCK_NB) != 0) {
        std::string pid = pid_in(fd_);
        error = "another svd (pid " + (pid.empty() ? std::string("?") : pid) + ") already supervises this tree (" +
                path + ")";
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
