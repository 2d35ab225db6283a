// Reading one config file: whole, bounded in size, then parsed as TOML.
#include "config/loader.h"

#include "config/expand.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <unistd.h>

namespace svd::config::loading {
namespace {

// A config this large is a mistake (or /dev/zero); stop before eating memory.
constexpr std::size_t kMaxConfigBytes = 16 * 1024 * 1024;

std::optional<std::string> read_whole_file(const std::string& path, std::string* error) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        *error = std::strerror(errno);
        return std::nullopt;
    }
    std::string content;
    char buffer[65536];
    for (;;) {
        ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            *error = std::strerror(errno);
            ::close(fd);
            return std::nullopt;
        }
        if (n == 0) break;
        content.append(buffer, static_cast<std::size_t>(n));
        if (content.size() > kMaxConfigBytes) {
            *error = "larger than " + std::to_string(kMaxConfigBytes / (1024 * 1024)) + " MiB";
            ::close(fd);
            return std::nullopt;
        }
    }
    ::close(fd);
    return content;
}

} // namespace

/// The file parsed, or nullopt with the reason in `diag` (at `opened_from`
/// when given, e.g. the include that named the file).
std::optional<ParsedFile> parse_file(const std::string& path, const std::string& what, Diagnostics& diag,
                                     const Location& opened_from) {
    std::string why;
    auto content = read_whole_file(path, &why);
    if (!content) {
        diag.error(opened_from, "cannot read " + what + " '" + path + "': " + why);
        return std::nullopt;
    }
    try {
        ParsedFile file;
        file.path = path;
        file.absolute = absolute_path(path, std::filesystem::current_path().string());
        file.table = toml::parse(std::string_view(*content), std::string(path));
        return file;
    } catch (const toml::parse_error& error) {
        diag.error(location_of(error.source(), path), std::string(error.description()));
        return std::nullopt;
    }
}

} // namespace svd::config::loading
