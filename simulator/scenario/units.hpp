// Durations ("30s", "250ms", "10m", "1h") and byte sizes ("200KiB", "1MiB", 4096) as scenario files
// write them.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fota::sim {

/// Parses a duration: a non-negative decimal number followed by one of the units ms, s, m, h
/// ("30s", "1.5s", "250ms", "10m", "2h"). The result is rounded down to whole milliseconds.
/// Returns nullopt for anything else: no unit, an unknown unit, a sign, spaces, or a value above
/// 30 days. Never throws.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

/// Parses a byte size: a plain decimal integer (bytes), or a non-negative decimal number followed
/// by one of B, KiB, MiB, GiB (powers of 1024) or kB, MB, GB (powers of 1000), e.g. "200KiB",
/// "1.5MiB". The result must be a whole number of bytes no larger than 1 TiB. Returns nullopt
/// otherwise. Never throws.
std::optional<std::uint64_t> parse_size(std::string_view text);

/// Formats a duration the way parse_duration reads it, in the largest unit that is exact
/// ("90s", "2m", "250ms").
std::string format_duration(std::chrono::milliseconds duration);

/// Formats a size in the largest binary unit that is exact ("200KiB", "1MiB", "1000B").
std::string format_size(std::uint64_t bytes);

/// Valid forms, for error messages.
inline constexpr std::string_view kDurationForms = "a number with a unit: 250ms, 30s, 1.5m, 2h";
inline constexpr std::string_view kSizeForms =
    "bytes as an integer, or a number with a unit: 4096, 200KiB, 1.5MiB, 1GiB, 500kB, 2MB";

} // namespace fota::sim
