#include "scenario/units.hpp"

#include <array>
#include <limits>
#include <utility>

namespace fota::sim {
namespace {

// A decimal number "123" or "1.25" as a fraction numerator / 10^decimals. Rejects signs, exponents
// and more than 9 decimals, and anything longer than 18 digits (so nothing overflows).
struct Decimal {
    std::uint64_t digits = 0;
    std::uint64_t scale = 1;
};

std::optional<Decimal> parse_decimal(std::string_view text) {
    if (text.empty() || text.size() > 19) {
        return std::nullopt;
    }
    Decimal value;
    bool seen_point = false;
    bool seen_digit_after_point = false;
    bool seen_digit = false;
    int decimals = 0;
    for (char c : text) {
        if (c == '.') {
            if (seen_point || !seen_digit) {
                return std::nullopt;
            }
            seen_point = true;
            continue;
        }
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        value.digits = value.digits * 10 + static_cast<std::uint64_t>(c - '0');
        seen_digit = true;
        if (seen_point) {
            seen_digit_after_point = true;
            if (++decimals > 9) {
                return std::nullopt;
            }
            value.scale *= 10;
        }
    }
    if (!seen_digit || (seen_point && !seen_digit_after_point)) {
        return std::nullopt;
    }
    return value;
}

// Splits "12.5KiB" into ("12.5", "KiB").
std::pair<std::string_view, std::string_view> split_number_unit(std::string_view text) {
    std::size_t i = 0;
    while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) {
        ++i;
    }
    return {text.substr(0, i), text.substr(i)};
}

// value * multiplier exactly, or nullopt when it is not whole or exceeds limit.
std::optional<std::uint64_t> scale_exact(const Decimal& value, std::uint64_t multiplier,
                                         std::uint64_t limit) {
    if (value.digits > std::numeric_limits<std::uint64_t>::max() / multiplier) {
        return std::nullopt;
    }
    const std::uint64_t product = value.digits * multiplier;
    if (product % value.scale != 0 || product / value.scale > limit) {
        return std::nullopt;
    }
    return product / value.scale;
}

} // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
    const auto [number, unit] = split_number_unit(text);
    const auto value = parse_decimal(number);
    if (!value) {
        return std::nullopt;
    }
    std::uint64_t per_unit_ms = 0;
    if (unit == "ms") {
        per_unit_ms = 1;
    } else if (unit == "s") {
        per_unit_ms = 1000;
    } else if (unit == "m") {
        per_unit_ms = 60'000;
    } else if (unit == "h") {
        per_unit_ms = 3'600'000;
    } else {
        return std::nullopt;
    }
    constexpr std::uint64_t kMaxMs = 30ULL * 24 * 3'600'000;
    if (value->digits > std::numeric_limits<std::uint64_t>::max() / per_unit_ms) {
        return std::nullopt;
    }
    const std::uint64_t ms = value->digits * per_unit_ms / value->scale; // sub-ms parts dropped
    if (ms > kMaxMs) {
        return std::nullopt;
    }
    return std::chrono::milliseconds(static_cast<std::int64_t>(ms));
}

std::optional<std::uint64_t> parse_size(std::string_view text) {
    constexpr std::uint64_t kMaxBytes = 1ULL << 40;
    const auto [number, unit] = split_number_unit(text);
    const auto value = parse_decimal(number);
    if (!value) {
        return std::nullopt;
    }
    static constexpr std::array<std::pair<std::string_view, std::uint64_t>, 8> kUnits{{
        {"", 1},
        {"B", 1},
        {"KiB", 1ULL << 10},
        {"MiB", 1ULL << 20},
        {"GiB", 1ULL << 30},
        {"kB", 1000},
        {"MB", 1000'000},
        {"GB", 1000'000'000},
    }};
    for (const auto& [name, multiplier] : kUnits) {
        if (unit == name) {
            if (unit.empty() && value->scale != 1) {
                return std::nullopt; // "1.5" bytes without a unit
            }
            return scale_exact(*value, multiplier, kMaxBytes);
        }
    }
    return std::nullopt;
}

std::string format_duration(std::chrono::milliseconds duration) {
    const auto ms = duration.count();
    if (ms != 0 && ms % 3'600'000 == 0) {
        return std::to_string(ms / 3'600'000) + "h";
    }
    if (ms != 0 && ms % 60'000 == 0) {
        return std::to_string(ms / 60'000) + "m";
    }
    if (ms % 1000 == 0) {
        return std::to_string(ms / 1000) + "s";
    }
    return std::to_string(ms) + "ms";
}

std::string format_size(std::uint64_t bytes) {
    if (bytes != 0 && bytes % (1ULL << 30) == 0) {
        return std::to_string(bytes >> 30) + "GiB";
    }
    if (bytes != 0 && bytes % (1ULL << 20) == 0) {
        return std::to_string(bytes >> 20) + "MiB";
    }
    if (bytes != 0 && bytes % (1ULL << 10) == 0) {
        return std::to_string(bytes >> 10) + "KiB";
    }
    return std::to_string(bytes) + "B";
}

} // namespace fota::sim
