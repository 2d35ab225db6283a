#include "logs/log_file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace svd::logs {

LogFile::LogFile(std::string path, std::uint64_t max_size, int keep)
    : path_(std::move(path)), max_size_(max_size), keep_(keep) {}

LogFile::~LogFile() {
    if (fd_ >= 0) close(fd_);
}

bool LogFile::open() {
    if (fd_ >= 0) return true;
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd_ < 0) {
        error_ = "open " + path_ + ": " + std::strerror(errno);
        return false;
    }
    struct stat info {};
    size_ = fstat(fd_, &info) == 0 ? static_cast<std::uint64_t>(info.st_size) : 0;
    error_.clear();
    return true;
}

bool LogFile::reopen() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
    return open();
}

void LogFile::write(std::string_view data) {
    if (fd_ < 0 && !open()) {
        dropped_ += data.size();
        return;
    }
    if (max_size_ == 0 || size_ + data.size() <= max_size_) {
        write_all(data);
        return;
    }
    // Fill the current file up to the last whole line that fits, rotate, and
    // carry on; a line longer than max_size is split where it must be.
    while (!data.empty()) {
        std::uint64_t room = size_ < max_size_ ? max_size_ - size_ : 0;
        if (data.size() <= room) {
            write_all(data);
            return;
        }
        std::size_t cut = 0;
        if (room > 0) {
            std::size_t newline = data.substr(0, room).rfind('\n');
            if (newline != std::string_view::npos) cut = newline + 1;
        }
        if (cut == 0 && size_ == 0) cut = room; // the line alone exceeds max_size
        if (cut > 0) write_all(data.substr(0, cut));
        data.remove_prefix(cut);
        rotate();
        if (fd_ < 0) {
            dropped_ += data.size();
            return;
        }
    }
}

void LogFile::write_all(std::string_view data) {
    while (!data.empty()) {
        ssize_t n = ::write(fd_, data.data(), data.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            // Disk full or I/O error: drop, count, and let the next chunk try again.
            error_ = "write " + path_ + ": " + std::strerror(n < 0 ? errno : ENOSPC);
            dropped_ += data.size();
            return;
        }
        size_ += static_cast<std::uint64_t>(n);
        written_total_ += static_cast<std::uint64_t>(n);
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    error_.clear();
}

void LogFile::rotate() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
    if (keep_ <= 0) {
        unlink(path_.c_str());
    } else {
        std::remove((path_ + "." + std::to_string(keep_)).c_str());
        for (int i = keep_ - 1; i >= 1; --i)
            std::rename((path_ + "." + std::to_string(i)).c_str(), (path_ + "." + std::to_string(i + 1)).c_str());
        std::rename(path_.c_str(), (path_ + ".1").c_str());
    }
    size_ = 0;
    open();
}

} // namespace svd::logs
