#include "fota/json_writer.hpp"

#include "fota/text.hpp"

namespace fota {

TextBuilder::TextBuilder(std::span<char> buffer) : buffer_(buffer) {
    if (buffer_.empty()) {
        overflow_ = true;
    } else {
        buffer_[0] = '\0';
    }
}

TextBuilder& TextBuilder::append_char(char c) {
    if (overflow_) {
        return *this;
    }
    if (length_ + 1 >= buffer_.size()) {
        overflow_ = true;
        buffer_[0] = '\0';
        length_ = 0;
        return *this;
    }
    buffer_[length_++] = c;
    buffer_[length_] = '\0';
    return *this;
}

TextBuilder& TextBuilder::append(std::string_view text) {
    for (const char c : text) {
        append_char(c);
    }
    return *this;
}

TextBuilder& TextBuilder::append(const char* text) {
    while (*text != '\0') {
        append_char(*text++);
    }
    return *this;
}

TextBuilder& TextBuilder::append_uint(std::uint64_t value) {
    char digits[20];
    return append({digits, format_decimal(value, digits)});
}

TextBuilder& TextBuilder::append_hex(std::uint64_t value, std::size_t digits) {
    static constexpr char kHex[] = "0123456789abcdef";
    for (std::size_t i = digits; i > 0; --i) {
        const auto shift = static_cast<unsigned>((i - 1) * 4);
        append_char(shift < 64 ? kHex[(value >> shift) & 0xF] : '0');
    }
    return *this;
}

TextBuilder& TextBuilder::append_json_escaped(std::string_view text) {
    // The characters with a short escape, each followed by the letter after its backslash (a
    // table costs less code than a case each).
    static constexpr char kShort[] = "\"\"\\\\\nn\rr\tt";
    for (const char c : text) {
        std::size_t e = 0;
        while (e < sizeof(kShort) - 1 && kShort[e] != c) {
            e += 2;
        }
        if (e < sizeof(kShort) - 1) {
            append_char('\\').append_char(kShort[e + 1]);
        } else if (static_cast<unsigned char>(c) < 0x20) {
            append("\\u00").append_hex(static_cast<unsigned char>(c), 2);
        } else {
            append_char(c);
        }
    }
    return *this;
}

std::string_view TextBuilder::view() const {
    if (overflow_) {
        return {};
    }
    return {buffer_.data(), length_};
}

void TextBuilder::clear() {
    length_ = 0;
    overflow_ = buffer_.empty();
    if (!buffer_.empty()) {
        buffer_[0] = '\0';
    }
}

void JsonWriter::before_value() {
    if (depth_ == 0) {
        return;
    }
    if (!after_key_) {
        misuse_ = true; // a value inside an object needs a key
    }
    after_key_ = false;
}

JsonWriter& JsonWriter::begin_object() {
    before_value();
    if (depth_ >= 31) {
        misuse_ = true;
        return *this;
    }
    out_.append_char('{');
    ++depth_;
    has_member_ &= ~(1u << depth_);
    return *this;
}

JsonWriter& JsonWriter::end_object() {
    if (depth_ == 0 || after_key_) {
        misuse_ = true;
        return *this;
    }
    out_.append_char('}');
    --depth_;
    return *this;
}

JsonWriter& JsonWriter::key(std::string_view name) {
    if (depth_ == 0 || after_key_) {
        misuse_ = true;
        return *this;
    }
    if ((has_member_ & (1u << depth_)) != 0) {
        out_.append_char(',');
    }
    has_member_ |= 1u << depth_;
    out_.append_char('"').append_json_escaped(name).append("\":");
    after_key_ = true;
    return *this;
}

JsonWriter& JsonWriter::string(std::string_view text) {
    before_value();
    out_.append_char('"').append_json_escaped(text).append_char('"');
    return *this;
}

JsonWriter& JsonWriter::number(std::uint64_t value) {
    before_value();
    out_.append_uint(value);
    return *this;
}

JsonWriter& JsonWriter::boolean(bool flag) {
    before_value();
    out_.append(flag ? "true" : "false");
    return *this;
}

JsonWriter& JsonWriter::null() {
    before_value();
    out_.append("null");
    return *this;
}

JsonWriter& JsonWriter::raw(std::string_view json) {
    before_value();
    out_.append(json);
    return *this;
}

} // namespace fota
