// One append-only log file with size rotation. Writes never block the
// caller for long and never fail loudly: when the disk refuses bytes, they
// are dropped and counted, and writing resumes with the next chunk.
//
// Rotation keeps NAME.log as the live file and renames older ones to
// NAME.log.1 (newest) … NAME.log.KEEP (oldest); beyond KEEP they are deleted.
// With compression, rotated files are named by the time of rotation instead,
// NAME.log.YYYYMMDD-HHMMSS.gz, because a file being gzipped must never be
// renamed under the compressor's feet; the oldest beyond KEEP are deleted.
// A rotation happens at a line boundary whenever the line fits in max_size,
// when the file reaches max_size, and (rotate_every) at the first write after
// each local hour or midnight (or each fixed interval): no timer, so an idle
// svd never wakes up.
#pragma once

#include "config/model.h"

#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>

namespace svd::logs {

class LogFile {
public:
    LogFile(std::string path, std::uint64_t max_size, int keep,
            config::RotateEvery every = config::RotateEvery::Never, bool compress = false,
            config::Millis interval = config::Millis(0));
    ~LogFile();
    LogFile(const LogFile&) = delete;
    LogFile& operator=(const LogFile&) = delete;

    /// Opens (creating) the file for appending. False and error() when it cannot.
    bool open();
    /// Closes and opens the path again: for an external logrotate.
    bool reopen();
    void write(std::string_view data);

    const std::string& path() const { return path_; }
    std::uint64_t dropped_bytes() const { return dropped_; }
    std::uint64_t written_bytes() const { return written_total_; }
    const std::string& error() const { return error_; }

private:
    void rotate();
    void write_all(std::string_view data);
    std::string rotated_name() const;
    void prune_dated() const;
    /// The next local hour or midnight after `from`, or 0 without rotate_every.
    std::time_t next_boundary(std::time_t from) const;

    std::string path_;
    std::uint64_t max_size_;
    int keep_;
    config::RotateEvery every_;
    config::Millis interval_;
    bool compress_;
    std::time_t rotate_at_ = 0;
    int fd_ = -1;
    std::uint64_t size_ = 0;
    std::uint64_t dropped_ = 0;
    std::uint64_t written_total_ = 0;
    std::string error_;
};

} // namespace svd::logs
