#include "fota/cloud/identifiers.hpp"

#include <cstddef>
#include <cstdint>

namespace fota::cloud {
namespace {

bool is_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool all_of_charset(std::string_view text, std::string_view extra) {
    for (char c : text) {
        if (!is_alnum(c) && extra.find(c) == std::string_view::npos) {
            return false;
        }
    }
    return true;
}

// Decodes one UTF-8 sequence at `pos`; returns its length or 0 if malformed.
std::size_t utf8_sequence(std::string_view bytes, std::size_t pos, std::uint32_t& code_point) {
    const auto lead = static_cast<unsigned char>(bytes[pos]);
    std::size_t length = 0;
    std::uint32_t min_value = 0;
    if (lead < 0x80) {
        code_point = lead;
        return 1;
    }
    if ((lead & 0xE0U) == 0xC0U) {
        length = 2;
        code_point = lead & 0x1FU;
        min_value = 0x80;
    } else if ((lead & 0xF0U) == 0xE0U) {
        length = 3;
        code_point = lead & 0x0FU;
        min_value = 0x800;
    } else if ((lead & 0xF8U) == 0xF0U) {
        length = 4;
        code_point = lead & 0x07U;
        min_value = 0x10000;
    } else {
        return 0;
    }
    if (pos + length > bytes.size()) {
        return 0;
    }
    for (std::size_t i = 1; i < length; ++i) {
        const auto next = static_cast<unsigned char>(bytes[pos + i]);
        if ((next & 0xC0U) != 0x80U) {
            return 0;
        }
        code_point = (code_point << 6U) | (next & 0x3FU);
    }
    if (code_point < min_value || code_point > 0x10FFFF ||
        (code_point >= 0xD800 && code_point <= 0xDFFF)) {
        return 0;
    }
    return length;
}

} // namespace

bool is_valid_thing_name(std::string_view name) {
    return !name.empty() && name.size() <= 128 && all_of_charset(name, ":_-");
}

bool is_valid_job_id(std::string_view id) {
    return !id.empty() && id.size() <= 64 && all_of_charset(id, "_-");
}

bool is_valid_shadow_name(std::string_view name) {
    return !name.empty() && name.size() <= 64 && name.front() != '$' &&
           all_of_charset(name, "$:_-");
}

bool is_valid_details_key(std::string_view key) {
    return !key.empty() && key.size() <= 128 && all_of_charset(key, ":_-");
}

bool is_valid_details_value(std::string_view value) {
    std::size_t characters = 0;
    std::size_t pos = 0;
    while (pos < value.size()) {
        std::uint32_t code_point = 0;
        const std::size_t length = utf8_sequence(value, pos, code_point);
        if (length == 0) {
            return false;
        }
        // \p{C}: controls (C0, DEL, C1), plus the format/surrogate/private ranges we can see
        // cheaply.
        if (code_point < 0x20 || (code_point >= 0x7F && code_point <= 0x9F) ||
            (code_point >= 0xE000 && code_point <= 0xF8FF)) {
            return false;
        }
        pos += length;
        ++characters;
    }
    return characters >= 1 && characters <= 1024;
}

bool is_valid_utf8(std::string_view bytes) {
    std::size_t pos = 0;
    while (pos < bytes.size()) {
        std::uint32_t code_point = 0;
        const std::size_t length = utf8_sequence(bytes, pos, code_point);
        if (length == 0) {
            return false;
        }
        pos += length;
    }
    return true;
}

} // namespace fota::cloud
