// Strict parser of the HTTP Content-Range response header (RFC 9110 section 14.4), byte ranges
// only: "bytes <first>-<last>/<complete-length>", "bytes <first>-<last>/*" or "bytes */<length>".
#pragma once

#include <cstdint>
#include <string_view>

namespace fota {

enum class ContentRangeStatus : std::uint8_t {
    Ok,
    Syntax,   ///< not of the forms above (other unit, missing parts, stray characters)
    Overflow, ///< a number does not fit 64 bits
    Invalid,  ///< first > last, or last >= complete length
};

/// Plain data, not initialised by a declaration: parse_content_range clears it first.
struct ContentRange {
    bool unsatisfied;     ///< "bytes */<length>" (with 416): no range, only the length
    std::uint64_t first;  ///< inclusive
    std::uint64_t last;   ///< inclusive
    bool length_known;    ///< false for "/*"
    std::uint64_t length; ///< complete length of the representation
};

/// Parse value (the header's value, optional surrounding spaces or tabs allowed). The unit is
/// matched case-insensitively; numbers are plain decimal digits. Never reads outside value.
ContentRangeStatus parse_content_range(std::string_view value, ContentRange& range);

} // namespace fota
