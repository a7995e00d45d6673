#include "fota/json_reader.hpp"
#include "fota/text.hpp"

#include <iterator>

namespace fota {
namespace {

bool is_ws(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

// Reads 4 hex digits at text[pos]; -1 if absent or invalid.
long read_hex4(std::string_view text, std::size_t pos) {
    if (pos + 4 > text.size()) {
        return -1;
    }
    long value = 0;
    for (std::size_t i = 0; i < 4; ++i) {
        const int digit = hex_value(text[pos + i]);
        if (digit < 0) {
            return -1;
        }
        value = value * 16 + digit;
    }
    return value;
}

// Syntax unless raw (with its quotes) has only valid escapes; defined with the decoder below.
JsonStatus validate_string(std::string_view raw);

class Scanner {
public:
    explicit Scanner(std::string_view text) : text_(text) {}

    std::size_t pos() const { return pos_; }
    void set_pos(std::size_t pos) { pos_ = pos; }
    bool at_end() const { return pos_ >= text_.size(); }
    char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }

    void skip_ws() {
        while (pos_ < text_.size() && is_ws(text_[pos_])) {
            ++pos_;
        }
    }

    // Validates the value at pos and moves past it; type is set on success.
    JsonStatus value(std::size_t depth, JsonType& type) {
        skip_ws();
        if (at_end()) {
            return JsonStatus::Syntax;
        }
        switch (peek()) {
        case '{':
            type = JsonType::Object;
            return container(depth + 1, '}');
        case '[':
            type = JsonType::Array;
            return container(depth + 1, ']');
        case '"':
            type = JsonType::String;
            return string();
        case 't':
            type = JsonType::Bool;
            return literal("true");
        case 'f':
            type = JsonType::Bool;
            return literal("false");
        case 'n':
            type = JsonType::Null;
            return literal("null");
        default:
            type = JsonType::Number;
            return number();
        }
    }

    // A string: finds its closing quote, then checks its escapes with the decoder itself (one
    // copy of the escape rules; a sink without put only validates).
    JsonStatus string() {
        if (peek() != '"') {
            return JsonStatus::Syntax;
        }
        const std::size_t start = pos_++;
        while (pos_ < text_.size() && text_[pos_] != '"') {
            if (static_cast<unsigned char>(text_[pos_]) < 0x20) {
                return JsonStatus::Syntax;
            }
            pos_ += text_[pos_] == '\\' ? 2u : 1u;
        }
        if (pos_ >= text_.size()) {
            return JsonStatus::Syntax;
        }
        ++pos_;
        return validate_string(slice(text_, start, pos_ - start));
    }

    // One member of an object, "key": value; key keeps its quotes, value its exact text.
    JsonStatus member(std::size_t depth, JsonValue& key_out, JsonValue& value_out) {
        skip_ws();
        const std::size_t key_start = pos_;
        JsonStatus status = string();
        if (status != JsonStatus::Ok) {
            return status;
        }
        key_out = {JsonType::String, text_.data() + key_start, pos_ - key_start};
        skip_ws();
        if (peek() != ':') {
            return JsonStatus::Syntax;
        }
        ++pos_;
        skip_ws();
        const std::size_t value_start = pos_;
        status = value(depth, value_out.type);
        value_out.data = text_.data() + value_start;
        value_out.size = pos_ - value_start;
        return status;
    }

private:
    JsonStatus literal(std::string_view word) {
        if (slice(text_, pos_, word.size()) != word) {
            return JsonStatus::Syntax;
        }
        pos_ += word.size();
        return JsonStatus::Ok;
    }

    // One or more digits; Syntax if there is none.
    JsonStatus digits() {
        if (!is_digit(peek())) {
            return JsonStatus::Syntax;
        }
        while (is_digit(peek())) {
            ++pos_;
        }
        return JsonStatus::Ok;
    }

    JsonStatus number() {
        if (peek() == '-') {
            ++pos_;
        }
        if (peek() == '0') {
            ++pos_;
        } else if (digits() != JsonStatus::Ok) {
            return JsonStatus::Syntax;
        }
        if (peek() == '.') {
            ++pos_;
            if (digits() != JsonStatus::Ok) {
                return JsonStatus::Syntax;
            }
        }
        if (peek() == 'e' || peek() == 'E') {
            ++pos_;
            if (peek() == '+' || peek() == '-') {
                ++pos_;
            }
            return digits();
        }
        return JsonStatus::Ok;
    }

    // An object or an array (close is '}' or ']'): members or elements separated by commas.
    JsonStatus container(std::size_t depth, char close) {
        if (depth > kJsonMaxDepth) {
            return JsonStatus::TooDeep;
        }
        ++pos_; // '{' or '['
        skip_ws();
        if (peek() == close) {
            ++pos_;
            return JsonStatus::Ok;
        }
        while (true) {
            JsonValue key;
            JsonValue element;
            const JsonStatus status =
                close == '}' ? member(depth, key, element) : value(depth, element.type);
            if (status != JsonStatus::Ok) {
                return status;
            }
            skip_ws();
            if (peek() == ',') {
                ++pos_;
                continue;
            }
            if (peek() == close) {
                ++pos_;
                return JsonStatus::Ok;
            }
            return JsonStatus::Syntax;
        }
    }

    std::string_view text_;
    std::size_t pos_ = 0;
};

// Receives decoded bytes; returns false to stop (buffer full or mismatch). Without put, it
// only validates: every byte is accepted and \\u0000 is not an error. Plain data: each use sets
// only the fields its put reads (issue 17).
struct Sink {
    bool (*put)(Sink& sink, char c);
    char* out;            ///< copying: the buffer
    const char* expected; ///< comparing: the text
    std::size_t size;     ///< the buffer's capacity or the text's length
    std::size_t count;    ///< bytes put so far
    bool mismatch;        ///< comparing: a byte differed
};

// Decodes a validated raw string (with quotes) into the sink. Returns EmbeddedNul for \u0000,
// Syntax if raw is not a string, TooLong if the sink refuses. One copy of the decoder serves
// validating, comparing and copying, and each step hands its bytes to the sink at one place (it
// matters for the target's code size).
JsonStatus decode_string(std::string_view raw, Sink& sink) {
    if (raw.size() < 2 || raw.front() != '"' || raw.back() != '"') {
        return JsonStatus::Syntax;
    }
    // The escapes after a backslash and what they stand for, pairwise.
    static constexpr char kEscapes[] = "\"\"\\\\//b\bf\fn\nr\rt\t";
    const std::string_view body = slice(raw, 1, raw.size() - 2);
    std::size_t i = 0;
    while (i < body.size()) {
        // The code point of this step (a byte of the text is passed on as it is) and the
        // characters of body it takes.
        unsigned long cp = static_cast<unsigned char>(body[i]);
        std::size_t taken = 1;
        std::size_t count = 1; // UTF-8 bytes to emit
        if (body[i] == '\\') {
            if (i + 1 >= body.size()) {
                return JsonStatus::Syntax;
            }
            const char escaped = body[i + 1];
            taken = 2;
            std::size_t e = 0;
            while (e < sizeof(kEscapes) - 1 && kEscapes[e] != escaped) {
                e += 2;
            }
            if (e < sizeof(kEscapes) - 1) {
                cp = static_cast<unsigned char>(kEscapes[e + 1]);
            } else if (escaped == 'u') {
                const long unit = read_hex4(body, i + 2);
                if (unit < 0) {
                    return JsonStatus::Syntax;
                }
                taken = 6;
                cp = static_cast<unsigned long>(unit);
                if (unit >= 0xD800 && unit <= 0xDBFF) {
                    const long low =
                        (i + 7 < body.size() && body[i + 6] == '\\' && body[i + 7] == 'u')
                            ? read_hex4(body, i + 8)
                            : -1;
                    if (low < 0xDC00 || low > 0xDFFF) {
                        return JsonStatus::Syntax;
                    }
                    taken = 12;
                    cp = 0x10000 + ((cp - 0xD800) << 10) +
                         (static_cast<unsigned long>(low) - 0xDC00);
                } else if (unit >= 0xDC00 && unit <= 0xDFFF) {
                    return JsonStatus::Syntax;
                }
                if (cp == 0 && sink.put != nullptr) {
                    return JsonStatus::EmbeddedNul;
                }
                count = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
            } else {
                return JsonStatus::Syntax;
            }
        }
        // UTF-8: continuation bytes from the last, then the lead byte.
        static constexpr unsigned char kLead[] = {0x00, 0x00, 0xC0, 0xE0, 0xF0};
        char bytes[4];
        for (std::size_t k = count - 1; k > 0; --k) {
            bytes[k] = static_cast<char>(0x80 | (cp & 0x3F));
            cp >>= 6;
        }
        bytes[0] = static_cast<char>(kLead[count] | cp);
        for (std::size_t k = 0; k < count; ++k) {
            if (sink.put != nullptr && !sink.put(sink, bytes[k])) {
                return JsonStatus::TooLong;
            }
        }
        i += taken;
    }
    return JsonStatus::Ok;
}

JsonStatus validate_string(std::string_view raw) {
    Sink sink;
    sink.put = nullptr;
    return decode_string(raw, sink);
}

} // namespace

std::string_view json_status_text(JsonStatus status) {
    // Indexed by JsonStatus (a table costs less code than a switch).
    static constexpr const char* kTexts[] = {"ok",           "syntax_error",  "too_deep",
                                             "missing",      "wrong_type",    "too_long",
                                             "out_of_range", "duplicate_key", "nul_in_string"};
    const auto index = static_cast<std::size_t>(status);
    return index < std::size(kTexts) ? kTexts[index] : "unknown";
}

JsonStatus json_parse(std::string_view text, JsonValue& root) {
    Scanner scanner(text);
    scanner.skip_ws();
    const std::size_t start = scanner.pos();
    JsonType type{};
    const JsonStatus status = scanner.value(0, type);
    if (status != JsonStatus::Ok) {
        return status;
    }
    const std::size_t end = scanner.pos();
    scanner.skip_ws();
    if (!scanner.at_end()) {
        return JsonStatus::Syntax;
    }
    root.type = type;
    root.data = text.data() + start;
    root.size = end - start;
    return JsonStatus::Ok;
}

bool json_string_equals(const JsonValue& value, std::string_view text) {
    if (value.type != JsonType::String) {
        return false;
    }
    Sink sink;
    sink.put = [](Sink& self, char c) {
        if (self.count >= self.size || self.expected[self.count] != c) {
            self.mismatch = true;
            return false;
        }
        ++self.count;
        return true;
    };
    sink.expected = text.data();
    sink.size = text.size();
    sink.count = 0;
    sink.mismatch = false;
    const JsonStatus status = decode_string(value.raw(), sink);
    return status == JsonStatus::Ok && !sink.mismatch && sink.count == text.size();
}

JsonStatus json_find(const JsonValue& object, const char* key, JsonValue& member) {
    member = JsonValue{JsonType::Null, "", 0}; // what a caller reads after a failed look-up
    if (object.type != JsonType::Object) {
        return JsonStatus::WrongType;
    }
    const std::string_view wanted(key);
    Scanner scanner(object.raw());
    scanner.set_pos(1);
    bool found = false;
    while (true) {
        scanner.skip_ws();
        if (scanner.at_end()) {
            return JsonStatus::Syntax;
        }
        if (scanner.peek() == '}') {
            break;
        }
        JsonValue key_value;
        JsonValue value;
        // The document was validated as a whole, so the depth of this sub-value is bounded.
        const JsonStatus status = scanner.member(0, key_value, value);
        if (status != JsonStatus::Ok) {
            return status;
        }
        if (json_string_equals(key_value, wanted)) {
            if (found) {
                return JsonStatus::DuplicateKey;
            }
            found = true;
            member = value;
        }
        scanner.skip_ws();
        if (scanner.peek() == ',') {
            scanner.set_pos(scanner.pos() + 1);
        }
    }
    return found ? JsonStatus::Ok : JsonStatus::NotFound;
}

JsonStatus json_get_string(const JsonValue& value, std::span<char> out, std::size_t& length) {
    length = 0;
    if (out.empty()) {
        return JsonStatus::TooLong;
    }
    out[0] = '\0';
    if (value.type != JsonType::String) {
        return JsonStatus::WrongType;
    }
    Sink sink;
    sink.put = [](Sink& self, char c) {
        if (self.count + 1 >= self.size) {
            return false;
        }
        self.out[self.count++] = c;
        return true;
    };
    sink.out = out.data();
    sink.size = out.size();
    sink.count = 0;
    const JsonStatus status = decode_string(value.raw(), sink);
    const std::size_t written = sink.count;
    if (status != JsonStatus::Ok) {
        out[0] = '\0';
        return status;
    }
    out[written] = '\0';
    length = written;
    return JsonStatus::Ok;
}

JsonStatus json_get_uint(const JsonValue& value, std::uint64_t max, std::uint64_t& number) {
    if (value.type != JsonType::Number) {
        return JsonStatus::WrongType;
    }
    std::uint64_t result = 0;
    for (const char c : value.raw()) {
        if (!is_digit(c)) {
            return JsonStatus::OutOfRange; // sign, fraction or exponent
        }
        if (!append_decimal_digit(result, c) || result > max) {
            return JsonStatus::OutOfRange;
        }
    }
    number = result;
    return JsonStatus::Ok;
}

JsonStatus json_get_bool(const JsonValue& value, bool& flag) {
    if (value.type != JsonType::Bool) {
        return JsonStatus::WrongType;
    }
    flag = value.raw() == "true";
    return JsonStatus::Ok;
}

} // namespace fota
