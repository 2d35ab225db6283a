#include "files/read_file.h"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace svd::files {
namespace {

const char* kind_of(mode_t mode) {
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISSOCK(mode)) return "a socket";
    return "a special file";
}

/// Closes the fd on every way out.
struct FdCloser {
    int fd;
    ~FdCloser() {
        if (fd >= 0) ::close(fd);
    }
};

} // namespace

std::string byte_count(std::size_t bytes) {
    if (bytes >= (1u << 20) && bytes % (1u << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
    if (bytes >= (1u << 10) && bytes % (1u << 10) == 0) return std::to_string(bytes >> 10) + " KiB";
    return std::to_string(bytes) + " bytes";
}

std::optional<std::string> read_regular_file(const std::string& path, std::size_t max_bytes, std::string* error) {
    FdCloser file{::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)};
    if (file.fd < 0) {
        *error = std::strerror(errno);
        return std::nullopt;
    }
    struct stat info {};
    if (::fstat(file.fd, &info) != 0) {
        *error = std::strerror(errno);
        return std::nullopt;
    }
    if (!S_ISREG(info.st_mode)) {
        *error = std::string("is ") + kind_of(info.st_mode) + ", not a regular file";
        return std::nullopt;
    }
    const std::string too_large = "is larger than " + byte_count(max_bytes) + ", the limit";
    if (static_cast<std::uint64_t>(info.st_size) > max_bytes) {
        *error = too_large;
        return std::nullopt;
    }
    // The file may grow while it is read: never take more than the limit.
    std::string content;
    content.resize(static_cast<std::size_t>(info.st_size) + 1);
    std::size_t used = 0;
    for (;;) {
        if (used == content.size()) {
            if (content.size() > max_bytes) {
                *error = too_large;
                return std::nullopt;
            }
            content.resize(std::min(max_bytes + 1, content.size() * 2 + 4096));
        }
        ssize_t n = ::read(file.fd, content.data() + used, content.size() - used);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            *error = std::strerror(errno);
            return std::nullopt;
        }
        if (n == 0) break;
        used += static_cast<std::size_t>(n);
    }
    if (used > max_bytes) {
        *error = too_large;
        return std::nullopt;
    }
    content.resize(used);
    return content;
}

} // namespace svd::files
