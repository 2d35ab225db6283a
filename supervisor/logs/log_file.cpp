#include "logs/log_file.h"

#include "spawn/spawn.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <dirent.h>
#include <vector>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace svd::logs {

LogFile::LogFile(std::string path, std::uint64_t max_size, int keep, config::RotateEvery every, bool compress,
                 config::Millis interval)
    : path_(std::move(path)), max_size_(max_size), keep_(keep), every_(every), interval_(interval),
      compress_(compress) {}

std::time_t LogFile::next_boundary(std::time_t from) const {
    if (every_ == config::RotateEvery::Never) return 0;
    if (every_ == config::RotateEvery::Interval)
        return from + std::max<std::time_t>(1, static_cast<std::time_t>(interval_.count() / 1000));
    struct tm parts {};
    localtime_r(&from, &parts);
    parts.tm_min = 0;
    parts.tm_sec = 0;
    if (every_ == config::RotateEvery::Hourly) {
        parts.tm_hour += 1;
    } else {
        parts.tm_hour = 0;
        parts.tm_mday += 1;
    }
    parts.tm_isdst = -1;
    return mktime(&parts);
}

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
    // A file left from an earlier period (svd was down at midnight) rotates at its first write.
    rotate_at_ = next_boundary(size_ > 0 ? info.st_mtime : std::time(nullptr));
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
    if (rotate_at_ != 0 && size_ > 0 && std::time(nullptr) >= rotate_at_) rotate();
    if (fd_ < 0) {
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

std::string LogFile::rotated_name() const {
    std::time_t now = std::time(nullptr);
    struct tm parts {};
    localtime_r(&now, &parts);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &parts);
    std::string base = path_ + "." + stamp;
    std::string name = base;
    struct stat info {};
    for (int n = 1; stat(name.c_str(), &info) == 0 || stat((name + ".gz").c_str(), &info) == 0; ++n)
        name = base + "-" + std::to_string(n);
    return name;
}

void LogFile::prune_dated() const {
    std::string dir = path_.substr(0, path_.rfind('/'));
    std::string prefix = path_.substr(path_.rfind('/') + 1) + ".";
    std::vector<std::string> rotated;
    if (DIR* listing = opendir(dir.c_str())) {
        while (dirent* entry = readdir(listing)) {
            std::string name = entry->d_name;
            // Dated names only: NAME.log.2...; numbered ones belong to the other scheme.
            if (name.rfind(prefix, 0) == 0 && name.size() > prefix.size() + 8 && std::isdigit(static_cast<unsigned char>(name[prefix.size()])) &&
                name.find('-', prefix.size()) != std::string::npos)
                rotated.push_back(name);
        }
        closedir(listing);
    }
    // Timestamps sort as text; a ".gz" suffix does not change the order of stamps.
    std::sort(rotated.begin(), rotated.end());
    while (rotated.size() > static_cast<std::size_t>(std::max(keep_, 0))) {
        unlink((dir + "/" + rotated.front()).c_str());
        rotated.erase(rotated.begin());
    }
}

void LogFile::rotate() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
    if (keep_ <= 0) {
        unlink(path_.c_str());
    } else if (compress_) {
        std::string target = rotated_name();
        if (std::rename(path_.c_str(), target.c_str()) == 0) {
            // gzip runs as a child process, off the loop; svd's reaper collects it.
            spawn::SpawnOptions options;
            options.argv = {"gzip", "-q", "-f", "--", target};
            options.env = {"PATH=/usr/bin:/bin"};
            spawn::SpawnResult result = spawn::spawn_process(options);
            if (!result.ok()) error_ = "cannot compress " + target + ": " + result.message;
        }
        prune_dated();
    } else {
        std::remove((path_ + "." + std::to_string(keep_)).c_str());
        for (int i = keep_ - 1; i >= 1; --i)
            std::rename((path_ + "." + std::to_string(i)).c_str(), (path_ + "." + std::to_string(i + 1)).c_str());
        std::rename(path_.c_str(), (path_ + ".1").c_str());
    }
    size_ = 0;
    open();
    rotate_at_ = next_boundary(std::time(nullptr));
}

} // namespace svd::logs
