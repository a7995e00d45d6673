// Bounded text and JSON building into a caller's buffer. Overflow is sticky: once a write does not
// fit, ok() is false and the buffer holds no usable result (never a silently truncated message).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace fota {

/// Appends text into a fixed buffer, always NUL-terminated.
class TextBuilder {
public:
    explicit TextBuilder(std::span<char> buffer);

    TextBuilder& append(std::string_view text);
    /// A NUL-terminated text (a literal: cheaper at the call site than a std::string_view).
    TextBuilder& append(const char* text);
    TextBuilder& append_char(char c);
    TextBuilder& append_uint(std::uint64_t value);
    /// Lower-case hexadecimal, exactly digits characters (leading zeros).
    TextBuilder& append_hex(std::uint64_t value, std::size_t digits);
    /// text escaped for the inside of a JSON string (quotes not added).
    TextBuilder& append_json_escaped(std::string_view text);

    /// False once anything did not fit; the content is then unusable.
    bool ok() const { return !overflow_; }
    /// The text built so far (empty after an overflow).
    std::string_view view() const;
    std::size_t size() const { return length_; }
    void clear();

private:
    std::span<char> buffer_;
    std::size_t length_ = 0;
    bool overflow_ = false;
};

/// A compact JSON writer (no whitespace) on top of TextBuilder; commas are placed automatically.
class JsonWriter {
public:
    explicit JsonWriter(TextBuilder& out) : out_(out) {}

    JsonWriter& begin_object();
    JsonWriter& end_object();
    JsonWriter& key(std::string_view name);
    JsonWriter& string(std::string_view text);
    JsonWriter& number(std::uint64_t value);
    JsonWriter& boolean(bool flag);
    JsonWriter& null();
    /// A pre-built JSON value, inserted verbatim.
    JsonWriter& raw(std::string_view json);

    /// False on overflow or on misuse (unbalanced objects, a value without a key, too deep).
    bool ok() const { return out_.ok() && !misuse_ && depth_ == 0; }

private:
    void before_value();

    TextBuilder& out_;
    std::uint32_t has_member_ = 0; // bit d: the object at depth d already has a member
    std::uint8_t depth_ = 0;
    bool after_key_ = false;
    bool misuse_ = false;
};

} // namespace fota
