// Percent-encoding and request-target parsing with the exact rules AWS signs with.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fota::cloud::http {

/// One query parameter, decoded.
struct QueryParam {
    std::string name;
    std::string value;
};

/// A request-target split at the first '?': the raw (still encoded) path and query.
struct TargetParts {
    std::string_view path;
    std::string_view query;
};

/// Splits "path?query" without decoding. Never fails; a target without '?' has an empty query.
TargetParts split_target(std::string_view target);

/// AWS's URI encoding: every byte except A-Z a-z 0-9 - _ . ~ becomes %XX (upper-case hex); '/'
/// is kept when encode_slash is false (paths) and encoded when true (query names and values).
std::string aws_uri_encode(std::string_view text, bool encode_slash);

/// Decodes %XX escapes ('+' stays '+', as AWS treats it). Returns nullopt when an escape is
/// malformed (a '%' not followed by two hex digits); never throws.
std::optional<std::string> percent_decode(std::string_view text);

/// Decodes a raw query string into parameters in order of appearance. Empty segments ("a&&b")
/// are skipped; a name without '=' has an empty value. Returns nullopt on a malformed escape.
std::optional<std::vector<QueryParam>> parse_query(std::string_view raw_query);

/// The value of the first parameter named name (case-sensitive), or nullopt.
std::optional<std::string> find_param(const std::vector<QueryParam>& params, std::string_view name);

/// Splits a decoded path "/a/b/c" into its segments {"a","b","c"}: the raw path is split at '/'
/// first and each segment decoded, so an encoded "%2F" stays inside its segment. Returns nullopt
/// on a malformed escape. "/" gives an empty list; a trailing '/' gives a trailing empty segment.
std::optional<std::vector<std::string>> split_path(std::string_view raw_path);

} // namespace fota::cloud::http
