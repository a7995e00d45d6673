#include "fota/json_reader.hpp"
#include "fota/json_writer.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <string>

using namespace fota;

namespace {
JsonStatus parse(std::string_view text) {
    JsonValue root;
    return json_parse(text, root);
}
std::string nested(std::size_t depth) {
    return std::string(depth, '[') + std::string(depth, ']');
}
} // namespace

TEST_CASE("json_parse accepts RFC 8259 documents", "[core][json]") {
    for (const char* text :
         {"{}", "[]", "0", "-0.5e+10", "\"a\\u00e9\\ud83d\\ude00\"", "true", "null",
          " {\"a\": [1, 2, {\"b\": null}], \"c\": \"\\\"\\\\\\/\\b\\f\\n\\r\\t\"} \n"}) {
        INFO(text);
        CHECK(parse(text) == JsonStatus::Ok);
    }
}

TEST_CASE("json_parse rejects malformed input with Syntax", "[core][json]") {
    for (const char* text :
         {"",         " ",          "{",         "}",           "[1,]",        "{\"a\"}",
          "{\"a\":}", "{\"a\":1,}", "01",        "1.",          "-",           "1e",
          "\"abc",    "\"\\x\"",    "\"\\u12\"", "\"\\udc00\"", "\"\\ud800\"", "\"\\ud800\\u0041\"",
          "tru",      "nul",        "{} {}",     "[1 2]",       "{1:2}",       "\"a\nb\""}) {
        INFO(text);
        CHECK(parse(text) == JsonStatus::Syntax);
    }
}

TEST_CASE("json_parse checks every escape of a string, also after \\u0000", "[core][json]") {
    // The scanner finds the closing quote, then the decoder checks the escapes: \u0000 is valid
    // JSON (only json_get_string refuses it) and must not end the check early.
    CHECK(parse(R"("\u0000")") == JsonStatus::Ok);
    CHECK(parse(R"(["\u0000\u00e9\ud83d\ude00"])") == JsonStatus::Ok);
    CHECK(parse(R"("\u0000\x")") == JsonStatus::Syntax);
    CHECK(parse(R"("\u0000\udc00")") == JsonStatus::Syntax);
    CHECK(parse(R"({"a\u0000":"\q"})") == JsonStatus::Syntax);
    CHECK(parse("\"\\\"") == JsonStatus::Syntax);     // "\" : the quote is escaped
    CHECK(parse("\"a\\") == JsonStatus::Syntax);      // a backslash at the very end
    CHECK(parse("\"\\\x01\"") == JsonStatus::Syntax); // a control character escaped
    CHECK(parse(R"("\u00")") == JsonStatus::Syntax);  // \u cut short by the quote
    CHECK(parse(R"(["\\",1])") == JsonStatus::Ok);
}

TEST_CASE("json_parse bounds nesting at kJsonMaxDepth", "[core][json]") {
    CHECK(parse(nested(kJsonMaxDepth)) == JsonStatus::Ok);
    CHECK(parse(nested(kJsonMaxDepth + 1)) == JsonStatus::TooDeep);
    CHECK(parse(nested(100000)) == JsonStatus::TooDeep);
}

TEST_CASE("json_find looks members up by decoded key", "[core][json]") {
    JsonValue root;
    REQUIRE(json_parse(R"({"a":1,"b\u0063":"x","n":{"d":[1,{"e":2}]}})", root) == JsonStatus::Ok);
    JsonValue value;
    REQUIRE(json_find(root, "bc", value) == JsonStatus::Ok);
    CHECK(value.type == JsonType::String);
    CHECK(value.raw() == "\"x\"");
    REQUIRE(json_find(root, "n", value) == JsonStatus::Ok);
    JsonValue inner;
    CHECK(json_find(value, "d", inner) == JsonStatus::Ok);
    CHECK(inner.type == JsonType::Array);
    CHECK(json_find(root, "zz", value) == JsonStatus::NotFound);
    CHECK(value.type == JsonType::Null); // a failed look-up still writes member
    CHECK(value.raw().empty());
    CHECK(json_find(root, "", value) == JsonStatus::NotFound);
    CHECK(json_find(inner, "d", value) == JsonStatus::WrongType);
}

TEST_CASE("json_find rejects duplicate keys", "[core][json]") {
    JsonValue root;
    REQUIRE(json_parse(R"({"a":1,"a":2})", root) == JsonStatus::Ok);
    JsonValue value;
    CHECK(json_find(root, "a", value) == JsonStatus::DuplicateKey);
}

TEST_CASE("json_get_string decodes into a bounded buffer", "[core][json]") {
    JsonValue root;
    REQUIRE(json_parse(R"("h\u00e9\ud83d\ude00\n")", root) == JsonStatus::Ok);
    std::array<char, 9> exact{};
    std::size_t length = 0;
    // h (1) + é (2) + 😀 (4) + \n (1) = 8 bytes + NUL = 9.
    REQUIRE(json_get_string(root, exact, length) == JsonStatus::Ok);
    CHECK(length == 8);
    CHECK(std::string(exact.data()) == "h\xc3\xa9\xf0\x9f\x98\x80\n");
    std::array<char, 8> one_short{};
    CHECK(json_get_string(root, one_short, length) == JsonStatus::TooLong);
    CHECK(one_short[0] == '\0');
    CHECK(length == 0);
    std::array<char, 1> empty_room{};
    JsonValue empty;
    REQUIRE(json_parse("\"\"", empty) == JsonStatus::Ok);
    CHECK(json_get_string(empty, empty_room, length) == JsonStatus::Ok);
    CHECK(json_get_string(root, std::span<char>(), length) == JsonStatus::TooLong);
    JsonValue nul;
    REQUIRE(json_parse(R"("a\u0000b")", nul) == JsonStatus::Ok);
    CHECK(json_get_string(nul, exact, length) == JsonStatus::EmbeddedNul);
    JsonValue number;
    REQUIRE(json_parse("12", number) == JsonStatus::Ok);
    CHECK(json_get_string(number, exact, length) == JsonStatus::WrongType);
}

TEST_CASE("json_get_uint accepts non-negative integers up to the limit", "[core][json]") {
    const auto get = [](const char* text, std::uint64_t max, std::uint64_t& out) {
        JsonValue value;
        REQUIRE(json_parse(text, value) == JsonStatus::Ok);
        return json_get_uint(value, max, out);
    };
    std::uint64_t n = 0;
    CHECK(get("0", UINT32_MAX, n) == JsonStatus::Ok);
    CHECK(n == 0);
    CHECK(get("4294967295", UINT32_MAX, n) == JsonStatus::Ok);
    CHECK(n == 4294967295u);
    CHECK(get("4294967296", UINT32_MAX, n) == JsonStatus::OutOfRange);
    CHECK(get("18446744073709551615", UINT64_MAX, n) == JsonStatus::Ok);
    CHECK(get("18446744073709551616", UINT64_MAX, n) == JsonStatus::OutOfRange);
    CHECK(get("-1", UINT32_MAX, n) == JsonStatus::OutOfRange);
    CHECK(get("1.5", UINT32_MAX, n) == JsonStatus::OutOfRange);
    CHECK(get("1e3", UINT32_MAX, n) == JsonStatus::OutOfRange);
    CHECK(get("5", 4, n) == JsonStatus::OutOfRange);
    CHECK(get("\"5\"", 9, n) == JsonStatus::WrongType);
}

TEST_CASE("TextBuilder never truncates silently", "[core][json]") {
    std::array<char, 6> buffer{};
    TextBuilder text(buffer);
    text.append("hello");
    CHECK(text.ok());
    CHECK(text.view() == "hello");
    text.append_char('!');
    CHECK_FALSE(text.ok());
    CHECK(text.view().empty());
    CHECK(buffer[0] == '\0');
    text.clear();
    text.append_uint(12345).append_hex(0xab, 0);
    CHECK(text.view() == "12345");
    TextBuilder zero(std::span<char>{});
    CHECK_FALSE(zero.ok());
}

TEST_CASE("JsonWriter builds compact JSON and escapes strings", "[core][json]") {
    std::array<char, 128> buffer{};
    TextBuilder text(buffer);
    JsonWriter json(text);
    json.begin_object().key("a").string("q\"\\\n\x01").key("b").number(42);
    json.key("c").begin_object().key("d").boolean(true).key("e").null().end_object();
    json.key("f").raw("[1]").end_object();
    REQUIRE(json.ok());
    CHECK(text.view() == R"({"a":"q\"\\\n\u0001","b":42,"c":{"d":true,"e":null},"f":[1]})");
    JsonValue root;
    CHECK(json_parse(text.view(), root) == JsonStatus::Ok);
    std::array<char, 64> escaped_buffer{};
    TextBuilder escaped(escaped_buffer);
    escaped.append_json_escaped(std::string_view("\r\t\0\x1f/\x7f\xc3\xa9", 8));
    CHECK(escaped.view() == "\\r\\t\\u0000\\u001f/\x7f\xc3\xa9");
}

TEST_CASE("JsonWriter reports misuse and overflow", "[core][json]") {
    std::array<char, 64> buffer{};
    TextBuilder text(buffer);
    JsonWriter unbalanced(text);
    unbalanced.begin_object().key("a").number(1);
    CHECK_FALSE(unbalanced.ok());
    text.clear();
    JsonWriter keyless(text);
    keyless.begin_object().number(1).end_object();
    CHECK_FALSE(keyless.ok());
    std::array<char, 8> small{};
    TextBuilder tiny(small);
    JsonWriter overflow(tiny);
    overflow.begin_object().key("long key").string("value").end_object();
    CHECK_FALSE(overflow.ok());
}

TEST_CASE("TextBuilder writes every 64-bit number in decimal", "[core][json]") {
    std::array<char, 32> buffer{};
    const auto decimal = [&](std::uint64_t value) {
        TextBuilder text(buffer);
        text.append_uint(value);
        return std::string(text.view());
    };
    CHECK(decimal(0) == "0");
    CHECK(decimal(9) == "9");
    CHECK(decimal(65535) == "65535");
    CHECK(decimal(65536) == "65536");
    CHECK(decimal(4294967295u) == "4294967295");
    CHECK(decimal(4294967296u) == "4294967296");
    CHECK(decimal(UINT64_MAX) == "18446744073709551615");
    std::uint64_t value = 1;
    for (int i = 0; i < 64; ++i, value = value * 3 + 1) {
        CHECK(decimal(value) == std::to_string(value));
    }
}
