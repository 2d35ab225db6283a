#include "logs/tail_file.h"

#include <algorithm>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace svd::logs {

std::string tail_lines(const std::string& path, int lines) {
    if (lines <= 0) return {};
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return {};
    struct stat info {};
    fstat(fd, &info);
    constexpr off_t kMaxRead = 4 << 20;
    off_t size = info.st_size;
    off_t start = std::max<off_t>(0, size - kMaxRead);
    std::string data(static_cast<std::size_t>(size - start), '\0');
    ssize_t got = pread(fd, data.data(), data.size(), start);
    close(fd);
    data.resize(got > 0 ? static_cast<std::size_t>(got) : 0);
    // Walk back over `lines` newlines, not counting one that ends the file.
    std::size_t end = data.size();
    if (end > 0 && data[end - 1] == '\n') --end;
    std::size_t position = end;
    int found = 0;
    while (position > 0) {
        if (data[position - 1] == '\n' && ++found == lines) break;
        --position;
    }
    return data.substr(position);
}

} // namespace svd::logs
