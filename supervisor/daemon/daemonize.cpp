#include "daemon/daemonize.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <iostream>
#include <unistd.h>

namespace svd::daemon {

bool Detacher::detach(std::string& error) {
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) {
        error = std::string("pipe: ") + std::strerror(errno);
        return false;
    }
    pid_t pid = fork();
    if (pid < 0) {
        error = std::string("fork: ") + std::strerror(errno);
        return false;
    }
    if (pid == 0) {
        close(report[0]);
        report_fd_ = report[1];
        setsid();
        int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null_fd >= 0) {
            dup2(null_fd, 0);
            dup2(null_fd, 1);
            dup2(null_fd, 2);
            close(null_fd);
        }
        return true;
    }
    close(report[1]);
    std::string message;
    char buffer[512];
    ssize_t n;
    while ((n = read(report[0], buffer, sizeof buffer)) != 0) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) break;
        message.append(buffer, static_cast<std::size_t>(n));
    }
    close(report[0]);
    if (message.rfind("OK", 0) == 0) {
        std::cout << "svd started in the background, pid " << pid << "\n";
        error.clear();
    } else {
        error = message.empty() ? "svd exited before it was ready (see its log)" : message;
    }
    return false;
}

void Detacher::succeed() {
    if (report_fd_ < 0) return;
    [[maybe_unused]] auto written = write(report_fd_, "OK", 2);
    close(report_fd_);
    report_fd_ = -1;
}

void Detacher::fail(const std::string& error) {
    if (report_fd_ < 0) return;
    [[maybe_unused]] auto written = write(report_fd_, error.data(), error.size());
    close(report_fd_);
    report_fd_ = -1;
}

} // namespace svd::daemon
