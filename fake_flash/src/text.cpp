#include "fota/flash/text.hpp"

#include <charconv>
#include <cstdio>

namespace fota::flash {

Result<std::uint64_t> parse_u64(std::string_view text) {
    int base = 10;
    std::string_view digits = text;
    if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
        base = 16;
        digits.remove_prefix(2);
    }
    std::uint64_t value = 0;
    if (digits.empty()) {
        return fail("expected a number, got '" + std::string(text) + "'");
    }
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value, base);
    if (ec == std::errc::result_out_of_range) {
        return fail("number '" + std::string(text) + "' does not fit in 64 bits");
    }
    if (ec != std::errc() || end != digits.data() + digits.size()) {
        return fail("expected a decimal or 0x-hex number, got '" + std::string(text) + "'");
    }
    return value;
}

Result<std::uint32_t> parse_size(std::string_view text) {
    std::size_t digits_end = 0;
    const bool is_hex = text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
    digits_end = is_hex ? 2 : 0;
    while (digits_end < text.size()) {
        const char c = text[digits_end];
        const bool digit = (c >= '0' && c <= '9') ||
                           (is_hex && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')));
        if (!digit) {
            break;
        }
        ++digits_end;
    }
    auto number = parse_u64(text.substr(0, digits_end));
    if (!number) {
        return fail("invalid size '" + std::string(text) +
                    "': expected e.g. 4096, 0x1000, 200KiB or 1MiB");
    }
    const std::string_view unit = text.substr(digits_end);
    std::uint64_t multiplier = 1;
    if (unit.empty() || unit == "B") {
        multiplier = 1;
    } else if (unit == "K" || unit == "KiB" || unit == "k") {
        multiplier = 1024;
    } else if (unit == "M" || unit == "MiB") {
        multiplier = std::uint64_t{1024} * 1024;
    } else {
        return fail("invalid size unit '" + std::string(unit) + "' in '" + std::string(text) +
                    "': use B, K, KiB, M or MiB");
    }
    const std::uint64_t value = number.value();
    if (value > UINT32_MAX / multiplier) {
        return fail("size '" + std::string(text) + "' does not fit in 32 bits");
    }
    return static_cast<std::uint32_t>(value * multiplier);
}

std::string hex(std::uint64_t value) {
    char buffer[24];
    std::snprintf(buffer, sizeof buffer, "0x%llx", static_cast<unsigned long long>(value));
    return buffer;
}

std::string format_size(std::uint32_t value) {
    if (value != 0 && value % (1024u * 1024u) == 0) {
        return std::to_string(value / (1024u * 1024u)) + "MiB";
    }
    if (value != 0 && value % 1024u == 0) {
        return std::to_string(value / 1024u) + "KiB";
    }
    return std::to_string(value);
}

std::vector<std::string_view> split(std::string_view text, char separator) {
    std::vector<std::string_view> pieces;
    std::size_t start = 0;
    while (true) {
        const std::size_t at = text.find(separator, start);
        if (at == std::string_view::npos) {
            pieces.push_back(text.substr(start));
            return pieces;
        }
        pieces.push_back(text.substr(start, at - start));
        start = at + 1;
    }
}

} // namespace fota::flash
