#include "fota/image_version.hpp"

#include <cstdint>

namespace fota {
bool parse_image_version(std::string_view text, ImageVersion& version) {
    // The parts in order, each after its separator (none before the first; the build, after '+',
    // is optional): one loop instead of a call per part (issue 17).
    static constexpr std::uint32_t kMax[] = {255, 255, 65535, UINT32_MAX};
    static constexpr char kSeparator[] = {'\0', '.', '.', '+'};
    std::uint32_t parts[4] = {};
    std::size_t pos = !text.empty() && (text[0] == 'v' || text[0] == 'V') ? 1 : 0;
    for (std::size_t part = 0; part < 4; ++part) {
        if (part == 3 && pos == text.size()) {
            break;
        }
        if (part > 0 && (pos >= text.size() || text[pos++] != kSeparator[part])) {
            return false;
        }
        const std::size_t start = pos;
        std::uint64_t value = 0;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
            value = value * 10 + static_cast<std::uint64_t>(text[pos] - '0');
            if (value > kMax[part] || pos - start >= 10) {
                return false;
            }
            ++pos;
        }
        if (pos == start) {
            return false;
        }
        parts[part] = static_cast<std::uint32_t>(value);
    }
    if (pos != text.size()) {
        return false;
    }
    version.major = static_cast<std::uint8_t>(parts[0]);
    version.minor = static_cast<std::uint8_t>(parts[1]);
    version.revision = static_cast<std::uint16_t>(parts[2]);
    version.build = parts[3];
    return true;
}

void append_image_version(TextBuilder& out, const ImageVersion& version) {
    out.append_char('v')
        .append_uint(version.major)
        .append_char('.')
        .append_uint(version.minor)
        .append_char('.')
        .append_uint(version.revision);
    if (version.build != 0) {
        out.append_char('+').append_uint(version.build);
    }
}

} // namespace fota
