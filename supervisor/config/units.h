// Durations ("1h30m") and sizes ("50MB") as users write them in svd.toml.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace svd::config {

/// Parses one or more `<number><unit>` parts, e.g. "500ms", "2s", "1m",
/// "1h30m", "1.5s", "1d". Units: ms, s, m, h, d (case-insensitive); a
/// fraction is allowed when the result is a whole number of milliseconds.
/// A bare number is rejected: "10" could mean seconds or milliseconds.
/// On failure returns nullopt and sets `*error` to why, without the input.
[[nodiscard]] std::optional<std::chrono::milliseconds> parse_duration(std::string_view text, std::string* error);

/// Parses a byte count: "512", "512B", "10KB", "50MB", "1GB", "1TB", and
/// the synonyms K/KiB, M/MiB, G/GiB, T/TiB (case-insensitive). Every unit
/// is a power of 1024, as for log sizes people think in KB = 1024 bytes.
/// On failure returns nullopt and sets `*error` to why, without the input.
[[nodiscard]] std::optional<std::uint64_t> parse_size(std::string_view text, std::string* error);

/// "1h30m", "2s", "250ms": the shortest text parse_duration reads back.
std::string format_duration(std::chrono::milliseconds duration);

/// For messages people read: "1s", "1.5s", "250ms", "1m30s" (format_duration,
/// but a fraction of a second under a minute as a decimal: "1.5s", not "1s500ms").
std::string human_duration(std::chrono::milliseconds duration);

} // namespace svd::config
