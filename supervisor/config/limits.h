// Every limit svd puts on what a file can say, in one place, each with the
// reason for its value and the words svd.toml(5) says it in (its LIMITS
// section; test_manpages checks they are there). A value past one is a
// config error at its file:line:col, never a crash, hang or flood.
#pragma once

#include <cstddef>

namespace svd::config {

/// A config file or drop-in: larger is a mistake (or /dev/zero).
/// svd.toml(5): "at most 16 MiB"
inline constexpr std::size_t kMaxConfigBytes = 16 * 1024 * 1024;
/// An env_file, read at each start of its program.
/// svd.toml(5): "at most 1 MiB"
inline constexpr std::size_t kMaxEnvFileBytes = 1024 * 1024;

/// Tables, dotted keys, arrays and inline tables nested together. toml++
/// recurses once per level (40,000 levels overflow the stack); svd's own keys
/// nest at most 6 deep ([profile.P.program.X] log.keep).
/// svd.toml(5): "at most 32 levels deep"
inline constexpr int kMaxNestingDepth = 32;

/// One expanded value: the kernel's own limit for one argument or
/// environment string (MAX_ARG_STRLEN), so nothing longer could reach a
/// program anyway.
/// svd.toml(5): "at most 128 KiB"
inline constexpr std::size_t kMaxExpandedBytes = 128 * 1024;
/// All values of one load expanded, together: "${big}" 2,000 times must not
/// build gigabytes, and a running svd loads configs on its loop.
/// svd.toml(5): "most 16 MiB"
inline constexpr std::size_t kMaxTotalExpansionBytes = 16 * 1024 * 1024;

/// log.keep: each rotation renames up to this many files, on the loop.
/// svd.toml(5): "is at most 1000"
inline constexpr int kMaxLogKeep = 1000;

/// A program or socket name. Names become file names (NAME.err.log.STAMP-N.gz
/// in log_dir), so with the longest suffix they stay far below NAME_MAX (255).
/// svd.toml(5): "at most 128 bytes"
inline constexpr std::size_t kMaxNameBytes = 128;
/// The longest suffix svd adds to a program's name in log_dir:
/// ".err.log.YYYYMMDD-HHMMSS-NNNNNNNNN.gz".
/// svd.toml(5): "fits PATH_MAX"
inline constexpr std::size_t kLongestLogSuffixBytes = 38;
/// Paths svd derives must fit PATH_MAX (4096, with its NUL).
/// svd.toml(5): "4095 bytes"
inline constexpr std::size_t kMaxPathBytes = 4095;

} // namespace svd::config
