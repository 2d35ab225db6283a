// Captures one program's stdout and stderr. svd keeps one pipe per stream
// for the program's whole life and hands the write end to every run, so
// output of grandchildren that outlive a restart is still collected, and the
// read end is drained whenever the loop runs: a child never blocks on a full
// pipe because of svd.
#pragma once

#include "config/model.h"
#include "loop/handle.h"
#include "logs/log_file.h"

#include <array>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <uv.h>

namespace svd::logs {

enum class Stream { Stdout, Stderr };
const char* to_string(Stream stream);

class ProgramOutput {
public:
    /// Gets what the program wrote, cut only between UTF-8 characters.
    using Subscriber = std::function<void(Stream, std::string_view)>;

    ProgramOutput(uv_loop_t* loop, std::string name, std::string log_dir, const config::LogOptions& options);
    ~ProgramOutput();
    ProgramOutput(const ProgramOutput&) = delete;
    ProgramOutput& operator=(const ProgramOutput&) = delete;

    /// Pipes handed over across exec (svctl reload), used by open() instead
    /// of new ones; -1 for a pipe that did not exist.
    void adopt_pipes(int stdout_read, int stdout_write, int stderr_read, int stderr_write);
    /// {stdout read, stdout write, stderr read, stderr write}, -1 where none.
    std::array<int, 4> pipe_fds() const { return {stdout_pipe_[0], stdout_pipe_[1], stderr_pipe_[0], stderr_pipe_[1]}; }
    /// Creates the pipes and opens the files. False and error() on failure.
    [[nodiscard]] bool open();
    /// Write ends for the child: -1 means /dev/null (discarded).
    int child_stdout() const { return stdout_pipe_[1]; }
    int child_stderr() const;
    /// Drains and closes the pipes, then runs `done` (at once: the handles free
    /// themselves once the loop lets go), after which the object may be destroyed.
    void close(std::function<void()> done);
    void reopen_files();
    /// New log settings from an updated config. Rotation limits apply at
    /// once; a new stderr mode reaches the next run of the program.
    void reconfigure(const config::LogOptions& options);

    std::string stdout_path() const { return stdout_log_->path(); }
    std::string stderr_path() const;
    std::uint64_t dropped_bytes() const;
    const std::string& error() const { return error_; }

    int subscribe(Subscriber subscriber);
    void unsubscribe(int id);

private:
    struct Reader {
        ProgramOutput* owner;
        Stream stream;
        loop::Handle<uv_pipe_t> handle; ///< the read end, while open
        bool at_line_start = true;
        /// The start of a UTF-8 character cut by the end of a read, held
        /// back from followers (JSON wants whole characters) until the rest comes.
        std::string utf8_carry;
    };
    [[nodiscard]] bool open_pipe(int fds[2], Reader& reader);
    void deliver(Reader& reader, std::string_view data);
    /// Reads what is left in the pipe, without waiting.
    void drain(Reader& reader);
    static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);

    uv_loop_t* loop_;
    std::string name_;
    std::string log_dir_;
    config::LogOptions options_;
    std::unique_ptr<LogFile> stdout_log_;
    std::unique_ptr<LogFile> stderr_log_; ///< only with stderr = "separate"
    int stdout_pipe_[2] = {-1, -1};
    int stderr_pipe_[2] = {-1, -1};
    Reader stdout_reader_{this, Stream::Stdout, {}};
    Reader stderr_reader_{this, Stream::Stderr, {}};
    bool stdout_open_ = false;
    bool stderr_open_ = false;
    std::string error_;
    std::vector<std::pair<int, Subscriber>> subscribers_;
    int next_subscriber_ = 1;
    std::string stamp_buffer_;
};

} // namespace svd::logs
