#include "fota/text.hpp"

namespace fota {

char ascii_lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool equals_ignore_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (ascii_lower(a[i]) != ascii_lower(b[i])) {
            return false;
        }
    }
    return true;
}

bool append_decimal_digit(std::uint64_t& value, char c) {
    const auto digit = static_cast<std::uint64_t>(c - '0');
    constexpr std::uint64_t kLimit = UINT64_MAX / 10; // folded by the compiler
    if (value > kLimit) {
        return false;
    }
    const std::uint64_t scaled = value * 10;
    if (digit > UINT64_MAX - scaled) {
        return false;
    }
    value = scaled + digit;
    return true;
}

std::size_t format_decimal(std::uint64_t value, char* digits) {
    // Long division by 10 of four 16-bit parts, each step in 32 bits: no 64-bit division.
    std::uint32_t parts[4] = {static_cast<std::uint32_t>(value >> 48),
                              static_cast<std::uint32_t>(value >> 32) & 0xFFFF,
                              static_cast<std::uint32_t>(value >> 16) & 0xFFFF,
                              static_cast<std::uint32_t>(value) & 0xFFFF};
    char reversed[20];
    std::size_t count = 0;
    bool nonzero = true;
    while (nonzero) {
        std::uint32_t remainder = 0;
        nonzero = false;
        for (std::uint32_t& part : parts) {
            const std::uint32_t current = (remainder << 16) | part;
            part = current / 10;
            remainder = current % 10;
            nonzero = nonzero || part != 0;
        }
        reversed[count++] = static_cast<char>('0' + remainder);
    }
    for (std::size_t i = 0; i < count; ++i) {
        digits[i] = reversed[count - 1 - i];
    }
    return count;
}

} // namespace fota
