// XML escaping (fota/cloud/http/xml.hpp) in its three modes: the five markup characters, the
// whitespace references, control characters and invalid UTF-8.
#include "fota/cloud/http/xml.hpp"

#include <catch2/catch.hpp>

#include <string>

using fota::cloud::http::xml_escape;
using fota::cloud::http::XmlEscape;

namespace {
const std::string replacement = "\xEF\xBF\xBD"; // U+FFFD
}

TEST_CASE("xml: empty text stays empty in every mode") {
    CHECK(xml_escape("").empty());
    CHECK(xml_escape("", XmlEscape::text).empty());
    CHECK(xml_escape("", XmlEscape::attribute).empty());
}

TEST_CASE("xml: markup escapes & < > \" ' and keeps every other byte") {
    CHECK(xml_escape("a&b<c>d\"e'f") == "a&amp;b&lt;c&gt;d&quot;e&apos;f");
    CHECK(xml_escape("&amp;") == "&amp;amp;");
    // S3 keys are the client's bytes: control characters and invalid UTF-8 pass through.
    const std::string raw("\x01\t\n\r\x7f\xff\xc3", 7);
    CHECK(xml_escape(raw) == raw);
    CHECK(xml_escape("caf\xC3\xA9") == "caf\xC3\xA9");
}

TEST_CASE("xml: text escapes & < > and CR, keeps quotes, LF and TAB") {
    CHECK(xml_escape("a&b<c>d\"e'f", XmlEscape::text) == "a&amp;b&lt;c&gt;d\"e'f");
    CHECK(xml_escape("1\n2\t3\r4", XmlEscape::text) == "1\n2\t3&#13;4");
}

TEST_CASE("xml: attribute escapes quotes and whitespace as references") {
    CHECK(xml_escape("a&b<c>d\"e'f", XmlEscape::attribute) == "a&amp;b&lt;c&gt;d&quot;e&apos;f");
    CHECK(xml_escape("1\n2\t3\r4", XmlEscape::attribute) == "1&#10;2&#9;3&#13;4");
}

TEST_CASE("xml: characters XML 1.0 cannot hold become U+FFFD in text and attributes") {
    for (auto mode : {XmlEscape::text, XmlEscape::attribute}) {
        CHECK(xml_escape(std::string("a\x00"
                                     "b",
                                     3),
                         mode) == "a" + replacement + "b");
        CHECK(xml_escape("\x01\x08\x0b\x0c\x1f", mode) ==
              replacement + replacement + replacement + replacement + replacement);
        CHECK(xml_escape("\xEF\xBF\xBE", mode) == replacement); // U+FFFE
        CHECK(xml_escape("\xEF\xBF\xBF", mode) == replacement); // U+FFFF
        CHECK(xml_escape("\x7f", mode) == "\x7f");              // DEL is allowed
    }
}

TEST_CASE("xml: valid UTF-8 passes, invalid UTF-8 becomes U+FFFD a byte at a time") {
    const auto text = [](const std::string& s) { return xml_escape(s, XmlEscape::text); };
    CHECK(text("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80") ==
          "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
    CHECK(text("\x80") == replacement);                   // lone continuation byte
    CHECK(text("\xFF") == replacement);                   // never valid in UTF-8
    CHECK(text("a\xC3") == "a" + replacement);            // truncated at the end
    CHECK(text("\xE2\x82") == replacement + replacement); // truncated 3-byte sequence
    CHECK(text("\xC3(") == replacement + "(");            // bad continuation byte
    CHECK(text("\xC0\xAF") == replacement + replacement); // overlong '/'
    CHECK(text("\xE0\x80\xAF") == replacement + replacement + replacement); // overlong
    CHECK(text("\xED\xA0\x80") == replacement + replacement + replacement); // surrogate D800
    CHECK(text("\xF4\x90\x80\x80") ==
          replacement + replacement + replacement + replacement); // past U+10FFFF
    CHECK(text("\xF4\x8F\xBF\xBF") == "\xF4\x8F\xBF\xBF");        // U+10FFFF
    CHECK(text("\xC3<") == replacement + "&lt;");
}
