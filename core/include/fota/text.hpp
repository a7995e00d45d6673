// Small string_view helpers that never throw (std::string_view::substr throws out_of_range, which
// on the target drags in abort() and the C library's signal and heap code).
#pragma once

#include <cstddef>
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

} // namespace fota
