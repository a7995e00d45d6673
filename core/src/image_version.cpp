#include "fota/image_version.hpp"

#include <cstdint>

namespace fota {
namespace {

bool read_part(std::string_view text, std::size_t& pos, std::uint64_t max, std::uint64_t& value) {
    const std::size_t start = pos;
    value = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
        value = value * 10 + static_cast<std::uint64_t>(text[pos] - '0');
        if (value > max || pos - start >= 10) {
            return false;
        }
        ++pos;
    }
    return pos != start;
}

} // namespace

bool parse_image_version(std::string_view text, ImageVersion& version) {
    std::size_t pos = 0;
    if (!text.empty() && (text[0] == 'v' || text[0] == 'V')) {
        pos = 1;
    }
    std::uint64_t major = 0;
    std::uint64_t minor = 0;
    std::uint64_t revision = 0;
    std::uint64_t build = 0;
    if (!read_part(text, pos, 255, major) || pos >= text.size() || text[pos++] != '.' ||
        !read_part(text, pos, 255, minor) || pos >= text.size() || text[pos++] != '.' ||
        !read_part(text, pos, 65535, revision)) {
        return false;
    }
    if (pos < text.size()) {
        if (text[pos++] != '+' || !read_part(text, pos, UINT32_MAX, build) || pos != text.size()) {
            return false;
        }
    }
    version.major = static_cast<std::uint8_t>(major);
    version.minor = static_cast<std::uint8_t>(minor);
    version.revision = static_cast<std::uint16_t>(revision);
    version.build = static_cast<std::uint32_t>(build);
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
