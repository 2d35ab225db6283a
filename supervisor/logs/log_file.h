// One append-only log file with rotation. Writes never block the caller for
// long and never fail loudly: when the disk refuses bytes, they are dropped
// and counted, and writing resumes, at the start of a line, as soon as the
// disk takes bytes again.
//
// Names. NAME.log is the live file. Without compression older ones are
// NAME.log.1 (newest) … NAME.log.KEEP (oldest); beyond KEEP they are deleted.
// With compression they are named by the local time of rotation,
// NAME.log.YYYYMMDD-HHMMSS.gz, then NAME.log.YYYYMMDD-HHMMSS-1.gz, -2, … for
// more rotations within the same second (order: stamp, then that number), so
// a file being gzipped is never renamed under the compressor's feet; the
// oldest beyond KEEP are deleted, compressed or not yet.
//
// When. At the first write that would take the file past max_size, and (with
// rotate_every) at the first write after each local hour, local midnight or
// fixed interval since the file was started: no timer, so an idle svd never
// wakes up, and an idle period rotates once, not once per period.
//
// Lines. Rotation happens at a line boundary: a line that began in a file is
// finished in it (so a file may pass max_size by the rest of its last line),
// unless that line is longer than max_size or 1 MiB, the only lines that are
// ever split. What the child wrote is, byte for byte, what the files hold,
// as long as KEEP covers it and the disk took it.
//
// Compression runs `gzip` as a child process, one at a time per file, so a
// burst of rotations neither stalls the loop nor starts a gzip per file; its
// exit is watched through a pidfd on the loop (svd's reaper collects it).
#pragma once

#include "config/model.h"

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <uv.h>

namespace svd::logs {

class LogFile {
public:
    /// Milliseconds since the epoch; injectable so tests need not wait an hour.
    using Clock = std::function<std::int64_t()>;

    /// `loop` watches gzip children; without one, gzip runs untracked.
    LogFile(std::string path, const config::LogOptions& options, uv_loop_t* loop = nullptr);
    ~LogFile();
    LogFile(const LogFile&) = delete;
    LogFile& operator=(const LogFile&) = delete;

    /// Opens (creating) the file for appending. False and error() when it cannot.
    [[nodiscard]] bool open();
    /// Closes and opens the path again: for an external logrotate.
    [[nodiscard]] bool reopen();
    void write(std::string_view data);

    void set_clock(Clock clock);
    /// Takes over from the LogFile this one replaces (new settings from a
    /// reconfigure): the drop count, and the rotated files still to compress.
    void take_over(LogFile& old);

    const std::string& path() const { return path_; }
    std::uint64_t dropped_bytes() const { return dropped_; }
    std::uint64_t written_bytes() const { return written_total_; }
    /// The last open or write error; empty once writing works again.
    const std::string& error() const { return error_; }

private:
    struct Job;
    void rotate();
    void shift_numbered();
    /// Writes data, counting what the disk refused; keeps line_len_ current.
    void append(std::string_view data);
    /// Bytes that reached the file (short on a full disk).
    std::size_t write_all(std::string_view data);
    /// Counts data as lost; errno_ says why.
    void drop(std::string_view data);
    std::string rotated_name();
    void prune_dated();
    void compress_next();
    static void on_gzip_exit(uv_poll_t* handle, int status, int events);
    /// When the file started at `from` must rotate by time, or 0 without rotate_every.
    std::int64_t next_boundary(std::int64_t from) const;
    std::uint64_t whole_line_limit() const;

    std::string path_;
    std::uint64_t max_size_;
    int keep_;
    config::RotateEvery every_;
    config::Millis interval_;
    bool compress_;
    uv_loop_t* loop_;
    Clock now_;
    std::int64_t rotate_at_ = 0;
    int fd_ = -1;
    std::uint64_t size_ = 0;
    std::uint64_t line_len_ = 0; ///< bytes after the file's last newline
    std::uint64_t dropped_ = 0;
    std::uint64_t dropped_at_start_ = 0;
    std::uint64_t written_total_ = 0;
    bool dropping_ = false;      ///< the last write was refused
    bool resync_ = false;        ///< and it ended mid-line: skip to the next line
    std::string error_;
    int errno_ = 0;              ///< of the last failed open or write
    std::string last_stamp_;
    int stamp_seq_ = 0;
    std::deque<std::string> to_compress_;
    Job* job_ = nullptr;         ///< the gzip running now
};

} // namespace svd::logs
