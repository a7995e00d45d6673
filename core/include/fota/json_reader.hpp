// A bounded JSON reader: validates a whole document in place (no copies, no heap, recursion depth
// bounded by kJsonMaxDepth) and then looks members up by key. Strings are decoded only into
// buffers the caller gives, with their size checked.
#pragma once

#include "fota/limits.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace fota {

enum class JsonStatus : std::uint8_t {
    Ok,
    Syntax,       ///< not JSON (RFC 8259), or trailing characters after the value
    TooDeep,      ///< objects/arrays nested deeper than kJsonMaxDepth
    NotFound,     ///< json_find: no member with that key
    WrongType,    ///< the value is not of the type asked for
    TooLong,      ///< the decoded string does not fit the caller's buffer
    OutOfRange,   ///< a number that is negative, fractional, or too large for the type asked
    DuplicateKey, ///< json_find: the key occurs twice in the object (ambiguous, rejected)
    EmbeddedNul,  ///< a string contains \u0000, which cannot be handed on as a C string
};

/// A status as a stable token ("syntax_error", ...), for failure reasons.
std::string_view json_status_text(JsonStatus status);

enum class JsonType : std::uint8_t { Null, Bool, Number, String, Object, Array };

/// A value inside a validated document: its type and its exact text (strings keep their quotes).
/// Only values returned by json_parse and json_find are valid arguments to the functions below.
/// Plain data, not initialised by a declaration: json_parse writes it on success and json_find
/// always (Null, empty, when the member is not found), so a declaration costs no code (issue 17:
/// the core declares about twenty).
struct JsonValue {
    JsonType type;
    const char* data;
    std::size_t size;
    std::string_view raw() const { return {data, size}; } ///< the exact text
};

/// Validate text as exactly one JSON value (whitespace around it allowed) and return it.
/// Never reads outside text; never recurses deeper than kJsonMaxDepth.
JsonStatus json_parse(std::string_view text, JsonValue& root);

/// Find the member named key of object. WrongType if object is not an object; NotFound if absent;
/// DuplicateKey if present more than once. Keys are compared after decoding escapes.
/// key is a C string (a literal: cheaper to pass than a std::string_view). member is always
/// written: the member found (the first one for DuplicateKey), else a Null with empty text.
JsonStatus json_find(const JsonValue& object, const char* key, JsonValue& member);

/// Decode a string value into out (NUL-terminated) and set length (without the NUL).
/// TooLong if length + 1 > out.size(); out then holds no partial result (out[0] = NUL).
JsonStatus json_get_string(const JsonValue& value, std::span<char> out, std::size_t& length);

/// True if value is a string whose decoded text equals text.
bool json_string_equals(const JsonValue& value, std::string_view text);

/// A non-negative integer without fraction or exponent, at most max.
JsonStatus json_get_uint(const JsonValue& value, std::uint64_t max, std::uint64_t& number);

JsonStatus json_get_bool(const JsonValue& value, bool& flag);

} // namespace fota
