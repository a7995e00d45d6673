// XML escaping, for S3's XML bodies and the simulator's JUnit reports (one home for both).
#pragma once

#include <string>
#include <string_view>

namespace fota::cloud::http {

/// What the escaped text is for.
enum class XmlEscape {
    /// & < > " ' as entities; every other byte as it is, so a client gets back exactly the bytes
    /// it stored (S3 keys, ETags, error messages).
    markup,
    /// XML 1.0 element content: & < > as entities, CR as &#13; (a parser would turn a raw CR into
    /// LF), " ' LF TAB as they are. Invalid UTF-8, and characters XML 1.0 cannot hold (control
    /// characters, surrogates, U+FFFE, U+FFFF), become U+FFFD, so the document always parses.
    text,
    /// As `text`, and " ' LF TAB as &quot; &apos; &#10; &#9;, so an attribute value keeps them
    /// (a parser would turn raw whitespace in an attribute into spaces).
    attribute,
};

/// Escapes `text` for XML as `mode` says. Never throws on bad input.
std::string xml_escape(std::string_view text, XmlEscape mode = XmlEscape::markup);

} // namespace fota::cloud::http
