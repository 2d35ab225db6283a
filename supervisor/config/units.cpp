#include "config/units.h"

#include <array>
#include <cctype>
#include <limits>

namespace svd::config {
namespace {

struct Unit {
    std::string_view name;
    std::uint64_t factor;
};

constexpr std::array<Unit, 5> kDurationUnits{{
    {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000},
}};

constexpr std::uint64_t KiB = 1024;
constexpr std::array<Unit, 14> kSizeUnits{{
    {"b", 1},
    {"k", KiB}, {"kb", KiB}, {"kib", KiB},
    {"m", KiB * KiB}, {"mb", KiB * KiB}, {"mib", KiB * KiB},
    {"g", KiB * KiB * KiB}, {"gb", KiB * KiB * KiB}, {"gib", KiB * KiB * KiB},
    {"t", KiB * KiB * KiB * KiB}, {"tb", KiB * KiB * KiB * KiB}, {"tib", KiB * KiB * KiB * KiB},
    {"", 1},
}};

bool is_space(char c) { return c == ' ' || c == '\t'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }

std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

/// A number as written: digits, optionally a fraction.
struct Number {
    std::uint64_t whole = 0;
    std::uint64_t fraction = 0;       ///< the digits after the point, as an integer
    std::uint64_t fraction_scale = 1; ///< 10^(number of fraction digits)
};

/// Reads a number at text[pos]; advances pos. Fails on no digits or overflow.
std::optional<Number> read_number(std::string_view text, std::size_t& pos, std::string* error) {
    Number number;
    std::size_t start = pos;
    constexpr std::uint64_t kLimit = std::numeric_limits<std::uint64_t>::max() / 10 - 9;
    while (pos < text.size() && is_digit(text[pos])) {
        if (number.whole > kLimit) {
            *error = "the number is too large";
            return std::nullopt;
        }
        number.whole = number.whole * 10 + static_cast<std::uint64_t>(text[pos] - '0');
        ++pos;
    }
    bool has_whole = pos > start;
    if (pos < text.size() && text[pos] == '.') {
        ++pos;
        std::size_t fraction_start = pos;
        while (pos < text.size() && is_digit(text[pos])) {
            // Digits past 18 cannot change a whole number of ms or bytes in range.
            if (number.fraction_scale < 1'000'000'000'000'000'000ull) {
                number.fraction = number.fraction * 10 + static_cast<std::uint64_t>(text[pos] - '0');
                number.fraction_scale *= 10;
            } else if (text[pos] != '0') {
                *error = "too many digits after the decimal point";
                return std::nullopt;
            }
            ++pos;
        }
        if (pos == fraction_start) {
            *error = "expected digits after the decimal point";
            return std::nullopt;
        }
    } else if (!has_whole) {
        *error = "expected a number";
        return std::nullopt;
    }
    return number;
}

/// number × factor, when that is a whole number that fits.
std::optional<std::uint64_t> scale(const Number& number, std::uint64_t factor, std::string* error,
                                   const char* what) {
    std::uint64_t whole = 0;
    if (__builtin_mul_overflow(number.whole, factor, &whole)) {
        *error = "the value is too large";
        return std::nullopt;
    }
    // fraction < 10^18 times a factor ≤ 2^40 overflows 64 bits, not 128.
    unsigned __int128 part = static_cast<unsigned __int128>(number.fraction) * factor;
    if (part % number.fraction_scale != 0) {
        *error = std::string("the value is not a whole number of ") + what;
        return std::nullopt;
    }
    std::uint64_t total = 0;
    if (__builtin_add_overflow(whole, static_cast<std::uint64_t>(part / number.fraction_scale), &total)) {
        *error = "the value is too large";
        return std::nullopt;
    }
    return total;
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
    return text;
}

} // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text, std::string* error) {
    text = trim(text);
    if (text.empty()) {
        *error = "expected a duration such as \"30s\"";
        return std::nullopt;
    }
    if (text.front() == '-') {
        *error = "a duration cannot be negative";
        return std::nullopt;
    }
    // Beyond this, a duration is a mistake, and it keeps every sum far from overflow.
    constexpr std::uint64_t kMaxMillis = 100ull * 365 * 86'400'000;
    std::uint64_t total = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
        auto number = read_number(text, pos, error);
        if (!number) return std::nullopt;
        std::size_t unit_start = pos;
        while (pos < text.size() && is_alpha(text[pos])) ++pos;
        std::string unit = lower(text.substr(unit_start, pos - unit_start));
        if (unit.empty()) {
            std::string digits(text.substr(0, unit_start));
            *error = "missing unit: write \"" + digits + "s\" for seconds or \"" + digits +
                     "ms\" for milliseconds (units: ms, s, m, h, d)";
            return std::nullopt;
        }
        const Unit* found = nullptr;
        for (const Unit& candidate : kDurationUnits)
            if (candidate.name == unit) found = &candidate;
        if (!found) {
            *error = "unknown unit '" + std::string(text.substr(unit_start, pos - unit_start)) +
                     "' (units: ms, s, m, h, d)";
            return std::nullopt;
        }
        auto millis = scale(*number, found->factor, error, "milliseconds");
        if (!millis) return std::nullopt;
        total += *millis;
        if (*millis > kMaxMillis || total > kMaxMillis) {
            *error = "the duration is longer than 100 years";
            return std::nullopt;
        }
        while (pos < text.size() && is_space(text[pos])) ++pos;
    }
    return std::chrono::milliseconds(static_cast<std::int64_t>(total));
}

std::optional<std::uint64_t> parse_size(std::string_view text, std::string* error) {
    text = trim(text);
    if (text.empty()) {
        *error = "expected a size such as \"50MB\"";
        return std::nullopt;
    }
    if (text.front() == '-') {
        *error = "a size cannot be negative";
        return std::nullopt;
    }
    std::size_t pos = 0;
    auto number = read_number(text, pos, error);
    if (!number) return std::nullopt;
    while (pos < text.size() && is_space(text[pos])) ++pos;
    std::string unit = lower(text.substr(pos));
    const Unit* found = nullptr;
    for (const Unit& candidate : kSizeUnits)
        if (candidate.name == unit) found = &candidate;
    if (!found) {
        *error = "unknown unit '" + std::string(text.substr(pos)) + "' (units: B, KB, MB, GB, TB)";
        return std::nullopt;
    }
    return scale(*number, found->factor, error, "bytes");
}

std::string format_duration(std::chrono::milliseconds duration) {
    std::int64_t left = duration.count();
    if (left == 0) return "0s";
    std::string out;
    if (left < 0) {
        out = "-";
        left = -left;
    }
    // Largest units first; trailing milliseconds only when not whole seconds.
    for (auto it = kDurationUnits.rbegin(); it != kDurationUnits.rend(); ++it) {
        auto factor = static_cast<std::int64_t>(it->factor);
        if (left >= factor) {
            out += std::to_string(left / factor);
            out += it->name;
            left %= factor;
        }
    }
    return out;
}

std::string human_duration(std::chrono::milliseconds duration) {
    const std::int64_t ms = duration.count();
    if (ms <= 1000 || ms >= 60'000 || ms % 1000 == 0) return format_duration(duration);
    std::string fraction = std::to_string(1000 + ms % 1000).substr(1); // "500", "050"
    while (fraction.back() == '0') fraction.pop_back();
    return std::to_string(ms / 1000) + "." + fraction + "s";
}

} // namespace svd::config
