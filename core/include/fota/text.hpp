// Small string_view helpers that never throw (std::string_view::substr throws out_of_range, which
// on the target drags in abort() and the C library's signal and heap code).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace fota {

/// text[pos, pos + count), clamped to text: never throws, never reads outside text.
constexpr std::string_view slice(std::string_view text, std::size_t pos,
                                 std::size_t count = std::string_view::npos) {
    if (pos > text.size()) {
        pos = text.size();
    }
    const std::size_t available = text.size() - pos;
    return {text.data() + pos, count < available ? count : available};
}

/// c in lower case if it is an ASCII letter.
char ascii_lower(char c);
/// a == b ignoring ASCII case (header names, URL schemes).
bool equals_ignore_case(std::string_view a, std::string_view b);

/// value * 10 + the digit c ('0'..'9'); false (value unchanged) if that exceeds UINT64_MAX.
/// Division-free: on the Cortex-M33 a 64-bit division links libgcc's __udivmoddi4 (~800 bytes).
bool append_decimal_digit(std::uint64_t& value, char c);

/// value in decimal into digits (at least 20 characters), most significant first; returns the
/// number of digits written. Division-free like append_decimal_digit.
std::size_t format_decimal(std::uint64_t value, char* digits);

} // namespace fota
