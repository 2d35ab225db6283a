#include "logs/log_file.h"

#include "files/private_dir.h"
#include "spawn/spawn.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <dirent.h>
#include <fcntl.h>
#include <map>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <vector>

namespace svd::logs {

namespace {

constexpr std::uint64_t kWholeLine = 1 << 20;
constexpr std::size_t kStampLength = 15; // YYYYMMDD-HHMMSS

std::int64_t system_now_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

bool exists(const std::string& path) {
    struct stat info {};
    return lstat(path.c_str(), &info) == 0;
}

/// "YYYYMMDD-HHMMSS[-N][.gz]" after the prefix: the stamp and N (0 without).
bool parse_dated(std::string_view rest, std::string& stamp, int& seq) {
    if (rest.size() < kStampLength) return false;
    for (std::size_t i = 0; i < kStampLength; ++i)
        if (i == 8 ? rest[i] != '-' : !std::isdigit(static_cast<unsigned char>(rest[i]))) return false;
    stamp = std::string(rest.substr(0, kStampLength));
    rest.remove_prefix(kStampLength);
    if (rest.size() >= 3 && rest.substr(rest.size() - 3) == ".gz") rest.remove_suffix(3);
    seq = 0;
    if (rest.empty()) return true;
    if (rest[0] != '-' || rest.size() < 2 || rest.size() > 9) return false;
    for (char c : rest.substr(1)) {
        if (!std::isdigit(static_cast<unsigned char>(c))) return false;
        seq = seq * 10 + (c - '0');
    }
    return true;
}

} // namespace

/// A gzip child being watched: its pidfd polled on the loop.
struct LogFile::Job {
    uv_poll_t poll{};
    int pidfd = -1;
    LogFile* owner = nullptr; ///< null once the LogFile is gone
};

LogFile::LogFile(std::string path, const config::LogOptions& options, uv_loop_t* loop)
    : path_(std::move(path)), max_size_(options.max_size), keep_(options.keep), every_(options.rotate_every),
      interval_(options.rotate_interval), compress_(options.compress), loop_(loop), now_(system_now_ms) {}

LogFile::~LogFile() {
    if (fd_ >= 0) close(fd_);
    // A running gzip finishes on its own; its watcher just forgets us.
    if (job_) job_->owner = nullptr;
}

void LogFile::take_over(LogFile& old) {
    dropped_ += old.dropped_;
    old.dropped_ = 0;
    for (auto& name : old.to_compress_) to_compress_.push_back(std::move(name));
    old.to_compress_.clear();
    if (old.job_ && !job_) {
        job_ = old.job_;
        job_->owner = this;
        old.job_ = nullptr;
    }
    last_stamp_ = old.last_stamp_;
    stamp_seq_ = old.stamp_seq_;
    compress_next();
}

void LogFile::set_clock(Clock clock) {
    now_ = std::move(clock);
    if (fd_ >= 0 && rotate_at_ != 0) rotate_at_ = next_boundary(now_());
}

std::int64_t LogFile::next_boundary(std::int64_t from) const {
    if (every_ == config::RotateEvery::Never) return 0;
    if (every_ == config::RotateEvery::Interval) return from + std::max<std::int64_t>(1, interval_.count());
    std::time_t seconds = static_cast<std::time_t>(from / 1000);
    struct tm parts {};
    localtime_r(&seconds, &parts);
    parts.tm_min = 0;
    parts.tm_sec = 0;
    if (every_ == config::RotateEvery::Hourly) {
        parts.tm_hour += 1;
    } else {
        parts.tm_hour = 0;
        parts.tm_mday += 1;
    }
    parts.tm_isdst = -1;
    return static_cast<std::int64_t>(mktime(&parts)) * 1000;
}

std::uint64_t LogFile::whole_line_limit() const {
    return max_size_ == 0 ? kWholeLine : std::min(max_size_, kWholeLine);
}

bool LogFile::open() {
    if (fd_ >= 0) return true;
    // Read-write: open() reads back the last byte to know if a line is open
    // (a pread on a write-only fd fails with EBADF).
    // Never through a symlink planted in log_dir, never a file of another
    // user, and mode 0640 whatever the umask.
    std::string why;
    fd_ = files::open_own_file(path_, O_RDWR | O_APPEND, 0640, why);
    if (fd_ < 0) {
        errno_ = errno != 0 ? errno : EPERM;
        error_ = why;
        return false;
    }
    struct stat info {};
    size_ = fstat(fd_, &info) == 0 ? static_cast<std::uint64_t>(info.st_size) : 0;
    line_len_ = 0;
    if (size_ > 0) {
        // A file that ends mid-line (svd restarted, or reopened in place) has
        // its line finished before any rotation.
        char last = '\n';
        if (pread(fd_, &last, 1, static_cast<off_t>(size_ - 1)) == 1 && last != '\n') line_len_ = 1;
    }
    // A file left from an earlier period (svd was down at midnight) rotates at its first write.
    std::int64_t started = size_ > 0 ? static_cast<std::int64_t>(info.st_mtim.tv_sec) * 1000 +
                                           info.st_mtim.tv_nsec / 1'000'000
                                     : now_();
    rotate_at_ = next_boundary(started);
    error_.clear();
    return true;
}

bool LogFile::reopen() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
    return open();
}

void LogFile::drop(std::string_view data) {
    if (data.empty()) return;
    if (!dropping_) {
        dropping_ = true;
        dropped_at_start_ = dropped_;
        // error_ says what went wrong (a refused symlink, a full disk).
        spdlog::warn("{}; dropping output until it can be written again",
                     error_.empty() ? path_ + ": " + std::strerror(errno_) : error_);
    }
    dropped_ += data.size();
    // The next chunk goes on with this line: skip the rest of it, so the file
    // never holds the start of one line glued to the end of another.
    resync_ = data.back() != '\n';
}

void LogFile::write(std::string_view data) {
    if (data.empty()) return;
    if (fd_ < 0 && !open()) {
        drop(data);
        return;
    }
    if (dropping_) {
        if (resync_) {
            std::size_t newline = data.find('\n');
            if (newline == std::string_view::npos) {
                dropped_ += data.size();
                return;
            }
            dropped_ += newline + 1;
            data.remove_prefix(newline + 1);
            resync_ = false;
            if (data.empty()) return;
        }
        // The disk cut the file mid-line: end that line before going on.
        if (line_len_ > 0) {
            if (write_all("\n") != 1) {
                drop(data);
                return;
            }
            line_len_ = 0;
        }
    }
    bool due = false;
    if (rotate_at_ != 0) {
        std::int64_t now = now_();
        if (now >= rotate_at_) {
            if (size_ > 0) due = true;
            else rotate_at_ = next_boundary(now); // nothing to rotate: a new period starts
        }
    }
    while (!data.empty()) {
        const std::uint64_t room = max_size_ == 0 ? UINT64_MAX : (size_ < max_size_ ? max_size_ - size_ : 0);
        if (!due && data.size() <= room) {
            append(data);
            return;
        }
        std::size_t cut = 0;
        if (!due && room > 0) {
            // Fill up to the last whole line that fits.
            std::size_t newline = data.substr(0, static_cast<std::size_t>(room)).rfind('\n');
            if (newline != std::string_view::npos) cut = newline + 1;
        }
        if (cut == 0 && line_len_ > 0) {
            // The file ends mid-line: finish that line here, so it is not split.
            std::size_t newline = data.find('\n');
            std::size_t rest = newline == std::string_view::npos ? data.size() : newline + 1;
            if (line_len_ + rest <= whole_line_limit()) cut = rest;
        }
        if (cut == 0 && size_ == 0) cut = static_cast<std::size_t>(room); // a line longer than max_size alone
        if (cut > 0) {
            append(data.substr(0, cut));
            data.remove_prefix(cut);
        }
        // Rotation waits for the next write when this one ended exactly at
        // the boundary (or inside a line still being finished).
        if (data.empty()) return;
        rotate();
        due = false;
        if (fd_ < 0) {
            drop(data);
            return;
        }
        if (size_ > 0) {
            // The old file could not be moved away: keep writing to it rather than loop.
            append(data);
            return;
        }
    }
}

void LogFile::append(std::string_view data) {
    std::size_t written = write_all(data);
    std::string_view kept = data.substr(0, written);
    std::size_t newline = kept.rfind('\n');
    line_len_ = newline == std::string_view::npos ? line_len_ + kept.size() : kept.size() - newline - 1;
    if (written < data.size()) {
        drop(data.substr(written));
    } else if (dropping_) {
        dropping_ = false;
        spdlog::info("{}: writing again after dropping {} bytes", path_, dropped_ - dropped_at_start_);
    }
}

std::size_t LogFile::write_all(std::string_view data) {
    std::size_t done = 0;
    while (done < data.size()) {
        ssize_t n = ::write(fd_, data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            // Disk full or I/O error: the caller drops and counts the rest.
            errno_ = n == 0 ? ENOSPC : errno;
            error_ = "write " + path_ + ": " + std::strerror(errno_);
            return done;
        }
        done += static_cast<std::size_t>(n);
        size_ += static_cast<std::uint64_t>(n);
        written_total_ += static_cast<std::uint64_t>(n);
    }
    if (!error_.empty()) error_.clear();
    return done;
}

std::string LogFile::rotated_name() {
    std::time_t now = static_cast<std::time_t>(now_() / 1000);
    struct tm parts {};
    localtime_r(&now, &parts);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &parts);
    // Rotations within one second are numbered on from the last one, never
    // reusing a number whose file was pruned meanwhile (it would sort as old).
    if (last_stamp_ == stamp) ++stamp_seq_;
    else stamp_seq_ = 0;
    last_stamp_ = stamp;
    const std::string base = path_ + "." + stamp;
    for (;; ++stamp_seq_) {
        std::string name = stamp_seq_ == 0 ? base : base + "-" + std::to_string(stamp_seq_);
        if (!exists(name) && !exists(name + ".gz")) return name;
    }
}

void LogFile::prune_dated() {
    const std::size_t slash = path_.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : path_.substr(0, slash);
    const std::string prefix = path_.substr(slash == std::string::npos ? 0 : slash + 1) + ".";
    // One entry per rotation: NAME.log.STAMP and NAME.log.STAMP.gz (both
    // exist while gzip runs) are the same rotation.
    std::map<std::pair<std::string, int>, std::vector<std::string>> rotations;
    if (DIR* listing = opendir(dir.c_str())) {
        while (dirent* entry = readdir(listing)) {
            std::string_view name = entry->d_name;
            std::string stamp;
            int seq = 0;
            if (name.size() > prefix.size() && name.substr(0, prefix.size()) == prefix &&
                parse_dated(name.substr(prefix.size()), stamp, seq))
                rotations[{stamp, seq}].emplace_back(name);
        }
        closedir(listing);
    }
    std::size_t excess = rotations.size() > static_cast<std::size_t>(std::max(keep_, 0))
                             ? rotations.size() - static_cast<std::size_t>(std::max(keep_, 0))
                             : 0;
    for (auto it = rotations.begin(); excess > 0; ++it, --excess)
        for (const auto& name : it->second) unlink((dir + "/" + name).c_str());
}

void LogFile::compress_next() {
    while (!job_ && !to_compress_.empty()) {
        std::string target = std::move(to_compress_.front());
        to_compress_.pop_front();
        if (!exists(target)) continue; // pruned before its turn: nothing to do
        spawn::SpawnOptions options;
        options.argv = {"gzip", "-q", "-f", "--", target};
        options.env = {"PATH=/usr/bin:/bin"};
        spawn::SpawnResult result = spawn::spawn_process(options);
        if (!result.ok()) {
            error_ = "cannot compress " + target + ": " + result.message;
            spdlog::warn("{}", error_);
            continue;
        }
        // Watch its exit through a pidfd: no waitpid here (svd's reaper
        // collects it), no pid that could be reused. The pid cannot have
        // been reaped yet: reaping happens on this thread, in the loop.
        int pidfd = loop_ ? static_cast<int>(syscall(SYS_pidfd_open, result.pid, 0)) : -1;
        if (pidfd < 0) continue; // untracked: the next one starts at once
        auto* job = new Job;
        job->pidfd = pidfd;
        job->owner = this;
        job->poll.data = job;
        if (uv_poll_init(loop_, &job->poll, pidfd) != 0) {
            close(pidfd);
            delete job;
            continue;
        }
        uv_poll_start(&job->poll, UV_READABLE, on_gzip_exit);
        job_ = job;
    }
}

void LogFile::on_gzip_exit(uv_poll_t* handle, int, int) {
    auto* job = static_cast<Job*>(handle->data);
    uv_poll_stop(handle);
    uv_close(reinterpret_cast<uv_handle_t*>(handle), [](uv_handle_t* closed) {
        auto* done = static_cast<Job*>(closed->data);
        close(done->pidfd);
        delete done;
    });
    if (LogFile* owner = job->owner) {
        owner->job_ = nullptr;
        // A rotation pruned while it was compressed leaves a .gz behind.
        owner->prune_dated();
        owner->compress_next();
    }
}

/// NAME.log.1 … NAME.log.N become .2 … .N+1, the one at KEEP deleted. Only
/// the run of files that exist from .1 on is touched: a rotation costs what
/// is on disk (one lstat past the last), never KEEP renames on the loop.
void LogFile::shift_numbered() {
    auto numbered = [this](int i) { return path_ + "." + std::to_string(i); };
    int last = 0;
    while (last < keep_ && exists(numbered(last + 1))) ++last;
    if (last == keep_) {
        std::remove(numbered(keep_).c_str());
        --last;
    }
    for (int i = last; i >= 1; --i) std::rename(numbered(i).c_str(), numbered(i + 1).c_str());
}

void LogFile::rotate() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
    if (keep_ <= 0) {
        unlink(path_.c_str());
    } else if (compress_) {
        std::string target = rotated_name();
        if (std::rename(path_.c_str(), target.c_str()) == 0) to_compress_.push_back(target);
        prune_dated();
        compress_next();
    } else {
        shift_numbered();
        std::rename(path_.c_str(), (path_ + ".1").c_str());
    }
    size_ = 0;
    line_len_ = 0;
    if (!open()) spdlog::warn("{}; output is dropped until it can be written", error_);
    rotate_at_ = next_boundary(now_());
}

} // namespace svd::logs
