// XML escaping (see xml.hpp): one loop for the three modes; the UTF-8 checks apply to text and
// attribute only.
#include "fota/cloud/http/xml.hpp"

#include <cstddef>

namespace fota::cloud::http {
namespace {

constexpr char32_t replacement_character = 0xFFFD;

// Appends code point cp as UTF-8.
void append_utf8(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

bool xml_char(char32_t cp) {
    return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
           (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
}

// Decodes the UTF-8 sequence at text[i]; sets `length` to the bytes it takes (1 for an invalid
// byte, which decodes as U+FFFD). Overlong forms, surrogates and values past U+10FFFF are invalid.
char32_t decode_utf8(std::string_view text, std::size_t i, std::size_t& length) {
    const auto byte = static_cast<unsigned char>(text[i]);
    length = 1;
    if (byte < 0x80) {
        return byte;
    }
    std::size_t need = 0;
    char32_t cp = 0;
    char32_t min = 0;
    if ((byte & 0xE0) == 0xC0) {
        need = 1;
        cp = byte & 0x1F;
        min = 0x80;
    } else if ((byte & 0xF0) == 0xE0) {
        need = 2;
        cp = byte & 0x0F;
        min = 0x800;
    } else if ((byte & 0xF8) == 0xF0) {
        need = 3;
        cp = byte & 0x07;
        min = 0x10000;
    }
    if (need == 0 || i + need >= text.size()) {
        return replacement_character;
    }
    for (std::size_t k = 1; k <= need; ++k) {
        const auto next = static_cast<unsigned char>(text[i + k]);
        if ((next & 0xC0) != 0x80) {
            return replacement_character;
        }
        cp = (cp << 6) | (next & 0x3F);
    }
    if (cp < min || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
        return replacement_character;
    }
    length = need + 1;
    return cp;
}

// The reference that stands for `cp` in `mode`, or nullptr when cp goes out as it is.
const char* reference(char32_t cp, XmlEscape mode) {
    const bool attribute = mode == XmlEscape::attribute;
    switch (cp) {
    case '&':
        return "&amp;";
    case '<':
        return "&lt;";
    case '>':
        return "&gt;";
    case '"':
        return mode != XmlEscape::text ? "&quot;" : nullptr;
    case '\'':
        return mode != XmlEscape::text ? "&apos;" : nullptr;
    case '\n':
        return attribute ? "&#10;" : nullptr;
    case '\r':
        return mode != XmlEscape::markup ? "&#13;" : nullptr;
    case '\t':
        return attribute ? "&#9;" : nullptr;
    default:
        return nullptr;
    }
}

} // namespace

std::string xml_escape(std::string_view text, XmlEscape mode) {
    std::string out;
    out.reserve(mode == XmlEscape::markup ? text.size() : text.size() + text.size() / 8);
    std::size_t i = 0;
    while (i < text.size()) {
        std::size_t length = 1;
        char32_t cp = static_cast<unsigned char>(text[i]);
        if (mode != XmlEscape::markup) {
            cp = decode_utf8(text, i, length);
            if (!xml_char(cp)) {
                cp = replacement_character;
            }
        }
        if (const char* ref = reference(cp, mode)) {
            out += ref;
        } else if (mode == XmlEscape::markup) {
            out.push_back(text[i]);
        } else {
            append_utf8(out, cp);
        }
        i += length;
    }
    return out;
}

} // namespace fota::cloud::http
