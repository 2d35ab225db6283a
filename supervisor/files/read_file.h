// Reading a small file svd was pointed at (a config, a drop-in, an
// env_file) so that nothing the path names can block or flood the loop: a
// FIFO would block open() or read(), /dev/zero never ends, a device may do
// anything. Only a regular file of bounded size is read.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

namespace svd::files {

/// The whole content of the regular file at `path`, at most `max_bytes`
/// long. Opened O_RDONLY|O_NONBLOCK|O_CLOEXEC|O_NOCTTY (a FIFO's open then
/// returns at once), checked with fstat before a byte is read. On failure
/// nullopt, and `*error` says why without naming the path: "is a FIFO, not
/// a regular file", "is 20 MiB; the limit is 16 MiB", or strerror.
[[nodiscard]] std::optional<std::string> read_regular_file(const std::string& path, std::size_t max_bytes,
                                                           std::string* error);

/// "16 MiB", "1 KiB", "100 bytes": for limits in messages.
std::string byte_count(std::size_t bytes);

} // namespace svd::files
