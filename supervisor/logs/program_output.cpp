#include "logs/program_output.h"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <sys/time.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

namespace svd::logs {

const char* to_string(Stream stream) { return stream == Stream::Stdout ? "stdout" : "stderr"; }

namespace {

// One buffer for every reader: the loop is single-threaded and each chunk is
// written out before the next read.
char read_buffer[256 * 1024];

void alloc_buffer(uv_handle_t*, size_t, uv_buf_t* buf) {
    buf->base = read_buffer;
    buf->len = sizeof read_buffer;
}

/// "2026-11-25T01:02:03.456Z " for log.timestamps.
std::string timestamp_now() {
    struct timeval now {};
    gettimeofday(&now, nullptr);
    struct tm parts {};
    gmtime_r(&now.tv_sec, &parts);
    char text[40];
    std::size_t n = strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &parts);
    snprintf(text + n, sizeof text - n, ".%03dZ ", static_cast<int>(now.tv_usec / 1000));
    return text;
}

/// The length of data without a UTF-8 character cut off at its end.
std::size_t complete_utf8(std::string_view data) {
    const std::size_t size = data.size();
    for (std::size_t back = 1; back <= 4 && back <= size; ++back) {
        const auto byte = static_cast<unsigned char>(data[size - back]);
        if ((byte & 0xC0) == 0x80) continue; // a continuation byte: look further back
        const std::size_t length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1;
        return length > back ? size - back : size;
    }
    return size; // not UTF-8 at all: let the JSON encoder replace it
}

} // namespace

ProgramOutput::ProgramOutput(uv_loop_t* loop, std::string name, std::string log_dir,
                             const config::LogOptions& options)
    : loop_(loop), name_(std::move(name)), log_dir_(std::move(log_dir)), options_(options) {
    stdout_log_ = std::make_unique<LogFile>(log_dir_ + "/" + name_ + ".log", options, loop_);
    if (options.stderr_mode == config::StderrMode::Separate)
        stderr_log_ = std::make_unique<LogFile>(log_dir_ + "/" + name_ + ".err.log", options, loop_);
}

ProgramOutput::~ProgramOutput() {
    for (int fd : {stdout_pipe_[1], stderr_pipe_[1]})
        if (fd >= 0) ::close(fd);
}

int ProgramOutput::child_stderr() const {
    switch (options_.stderr_mode) {
    case config::StderrMode::Merge: return stdout_pipe_[1];
    case config::StderrMode::Separate: return stderr_pipe_[1];
    case config::StderrMode::Discard: return -1;
    }
    return -1;
}

std::string ProgramOutput::stderr_path() const { return stderr_log_ ? stderr_log_->path() : stdout_log_->path(); }

std::uint64_t ProgramOutput::dropped_bytes() const {
    return stdout_log_->dropped_bytes() + (stderr_log_ ? stderr_log_->dropped_bytes() : 0);
}

void ProgramOutput::adopt_pipes(int stdout_read, int stdout_write, int stderr_read, int stderr_write) {
    stdout_pipe_[0] = stdout_read;
    stdout_pipe_[1] = stdout_write;
    stderr_pipe_[0] = stderr_read;
    stderr_pipe_[1] = stderr_write;
}

bool ProgramOutput::open_pipe(int fds[2], Reader& reader) {
    if (fds[0] >= 0 && fds[1] >= 0) {
        // Handed over across exec (svctl reload): the programs still write into it.
        fcntl(fds[0], F_SETFD, FD_CLOEXEC);
        fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    } else if (pipe2(fds, O_CLOEXEC) != 0) {
        error_ = std::string("pipe: ") + std::strerror(errno);
        return false;
    }
    // A larger pipe absorbs bursts while the loop is busy elsewhere.
    fcntl(fds[0], F_SETPIPE_SZ, 1 << 20);
    uv_pipe_init(loop_, reader.handle.make(), 0);
    reader.handle->data = &reader;
    uv_pipe_open(reader.handle.get(), fds[0]);
    uv_read_start(reinterpret_cast<uv_stream_t*>(reader.handle.get()), alloc_buffer, on_read);
    return true;
}

bool ProgramOutput::open() {
    if (!stdout_log_->open()) error_ = stdout_log_->error();
    if (stderr_log_ && !stderr_log_->open()) error_ = stderr_log_->error();
    if (!open_pipe(stdout_pipe_, stdout_reader_)) return false;
    stdout_open_ = true;
    // An adopted stderr pipe is drained even if the new config merges:
    // a program still writing into it must never block.
    if (options_.stderr_mode == config::StderrMode::Separate || stderr_pipe_[0] >= 0) {
        if (!open_pipe(stderr_pipe_, stderr_reader_)) return false;
        stderr_open_ = true;
    }
    return true;
}

void ProgramOutput::drain(Reader& reader) {
    // uv_close discards what is still in the pipe: whatever the program wrote
    // last (it exited just before svd stopped) goes to the file first.
    uv_os_fd_t fd = -1;
    if (!reader.handle || uv_fileno(reader.handle.base(), &fd) != 0) return;
    for (;;) {
        ssize_t n = ::read(fd, read_buffer, sizeof read_buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return; // EAGAIN: empty (the read end is non-blocking)
        deliver(reader, std::string_view(read_buffer, static_cast<std::size_t>(n)));
    }
}

void ProgramOutput::close(std::function<void()> done) {
    for (int* fd : {&stdout_pipe_[1], &stderr_pipe_[1]})
        if (*fd >= 0) {
            ::close(*fd);
            *fd = -1;
        }
    for (Reader* reader : {&stdout_reader_, &stderr_reader_}) {
        drain(*reader);
        reader->handle.reset(); // closes the read end too
    }
    stdout_open_ = stderr_open_ = false;
    done(); // last: it may destroy us
}

void ProgramOutput::reconfigure(const config::LogOptions& options) {
    options_ = options;
    // The drop count and any gzip still to run belong to the program, not
    // to the file object: the new one takes them over.
    auto replacement = std::make_unique<LogFile>(log_dir_ + "/" + name_ + ".log", options, loop_);
    replacement->take_over(*stdout_log_);
    stdout_log_ = std::move(replacement);
    if (!stdout_log_->open()) error_ = stdout_log_->error();
    if (options.stderr_mode == config::StderrMode::Separate) {
        replacement = std::make_unique<LogFile>(log_dir_ + "/" + name_ + ".err.log", options, loop_);
        if (stderr_log_) replacement->take_over(*stderr_log_);
        stderr_log_ = std::move(replacement);
        if (!stderr_log_->open()) error_ = stderr_log_->error();
        if (!stderr_open_ && open_pipe(stderr_pipe_, stderr_reader_)) stderr_open_ = true;
    } else {
        // Its count and pending gzips go on with the stdout file.
        if (stderr_log_) stdout_log_->take_over(*stderr_log_);
        stderr_log_.reset();
    }
}

void ProgramOutput::reopen_files() {
    for (LogFile* log : {stdout_log_.get(), stderr_log_.get()}) {
        // A file that cannot be opened again drops (and counts) output until
        // a later write can open it; say so now, not at the first dropped byte.
        if (log && !log->reopen()) spdlog::warn("{}; output is dropped until it can be written", log->error());
    }
}

int ProgramOutput::subscribe(Subscriber subscriber) {
    int id = next_subscriber_++;
    subscribers_.emplace_back(id, std::move(subscriber));
    return id;
}

void ProgramOutput::unsubscribe(int id) {
    std::erase_if(subscribers_, [id](const auto& entry) { return entry.first == id; });
}

void ProgramOutput::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
    auto* reader = static_cast<Reader*>(stream->data);
    if (!reader || nread <= 0) return; // EOF cannot happen while svd holds the write end
    reader->owner->deliver(*reader, std::string_view(buf->base, static_cast<std::size_t>(nread)));
}

void ProgramOutput::deliver(Reader& reader, std::string_view data) {
    LogFile& file = (reader.stream == Stream::Stderr && stderr_log_) ? *stderr_log_ : *stdout_log_;
    std::string_view out = data;
    if (options_.timestamps) {
        stamp_buffer_.clear();
        const std::string stamp = timestamp_now();
        std::size_t start = 0;
        while (start < data.size()) {
            if (reader.at_line_start) stamp_buffer_ += stamp;
            std::size_t newline = data.find('\n', start);
            std::size_t end = newline == std::string_view::npos ? data.size() : newline + 1;
            stamp_buffer_.append(data.substr(start, end - start));
            reader.at_line_start = newline != std::string_view::npos;
            start = end;
        }
        out = stamp_buffer_;
    }
    file.write(out);
    if (subscribers_.empty()) {
        reader.utf8_carry.clear();
        return;
    }
    std::string joined;
    if (!reader.utf8_carry.empty()) {
        joined = reader.utf8_carry;
        joined.append(out);
        out = joined;
    }
    const std::size_t whole = complete_utf8(out);
    reader.utf8_carry.assign(out.substr(whole));
    out = out.substr(0, whole);
    if (out.empty()) return;
    // Copy: a subscriber may unsubscribe (client gone) while we iterate.
    auto subscribers = subscribers_;
    for (auto& [id, subscriber] : subscribers) subscriber(reader.stream, out);
}

} // namespace svd::logs
