// ListObjects (V1) and ListObjectsV2 with S3's pagination, and the XML request documents S3
// operations read (see s3_operations.hpp).
#include "s3_operations.hpp"

#include "fota/cloud/http/aws_time.hpp"
#include "fota/cloud/http/crypto.hpp"
#include "fota/cloud/http/xml.hpp"

#include <boost/property_tree/xml_parser.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <sstream>

namespace fota::cloud {

namespace {

constexpr const char* xml_namespace = "http://s3.amazonaws.com/doc/2006-03-01/";
constexpr int max_list_keys = 1000;
/// Deeper than any S3 request document; keeps the recursive parser's stack small.
constexpr int max_xml_depth = 16;

bool starts_with(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && s.substr(0, prefix.size()) == prefix;
}

/// The deepest element nesting of `text` (counting '<' that open and close elements); an
/// overestimate is fine: it only bounds the parser's recursion.
int nesting_depth(std::string_view text) {
    int depth = 0;
    int deepest = 0;
    for (std::size_t i = 0; i + 1 < text.size(); ++i) {
        if (text[i] != '<') {
            continue;
        }
        const char next = text[i + 1];
        if (next == '/') {
            depth = depth > 0 ? depth - 1 : 0;
        } else if (next != '?' && next != '!') {
            deepest = std::max(deepest, ++depth);
        }
    }
    return deepest;
}

/// True when every '&' starts one of XML's five entities or a character reference (the parser
/// would keep an undefined entity as text, where a well-formed document has none).
bool entities_well_formed(std::string_view text) {
    for (auto at = text.find('&'); at != std::string_view::npos; at = text.find('&', at + 1)) {
        const auto end = text.find(';', at);
        if (end == std::string_view::npos) {
            return false;
        }
        const std::string_view name = text.substr(at + 1, end - at - 1);
        if (name == "lt" || name == "gt" || name == "amp" || name == "quot" || name == "apos") {
            continue;
        }
        const bool hex = name.size() > 2 && name.substr(0, 2) == "#x";
        const std::string_view digits = name.substr(hex ? 2 : 1);
        if (name.size() < 2 || name[0] != '#' || digits.empty() ||
            !std::all_of(digits.begin(), digits.end(), [hex](char c) {
                return hex ? std::isxdigit(static_cast<unsigned char>(c)) != 0
                           : std::isdigit(static_cast<unsigned char>(c)) != 0;
            })) {
            return false;
        }
    }
    return true;
}

// ---- continuation tokens: opaque to clients, "k<key>" or "p<common prefix>" inside ----------

std::string base64_decode(std::string_view text) {
    static constexpr std::string_view alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::uint32_t bits = 0;
    int count = 0;
    for (char c : text) {
        if (c == '=') {
            break;
        }
        const auto v = alphabet.find(c);
        if (v == std::string_view::npos) {
            return {};
        }
        bits = (bits << 6) | static_cast<std::uint32_t>(v);
        count += 6;
        if (count >= 8) {
            count -= 8;
            out.push_back(static_cast<char>((bits >> count) & 0xff));
        }
    }
    return out;
}

/// Where a listing resumes: after `after` (a key), and past every key under `after` when it is
/// a common prefix.
struct ListStart {
    std::string after;
    bool after_prefix = false;
};

std::optional<ListStart> decode_token(std::string_view token) {
    const std::string raw = base64_decode(token);
    if (raw.size() < 2 || (raw[0] != 'k' && raw[0] != 'p')) {
        return std::nullopt;
    }
    return ListStart{raw.substr(1), raw[0] == 'p'};
}

std::string encode_token(const std::string& entry, bool is_prefix) {
    return http::base64_encode((is_prefix ? "p" : "k") + entry);
}

struct ListParams {
    bool v2 = false;
    std::string prefix;
    std::string delimiter;
    int max_keys = max_list_keys;
    bool url_encoding = false;
    std::optional<std::string> continuation_token; ///< V2, as sent
    std::string start_after;                       ///< V2 start-after, or V1 marker
    ListStart start;
};

/// The listing parameters, or the S3 error for a bad one.
std::variant<ListParams, ResponsePlan>
list_params(const ObjectServer::State& state, const RequestContext& ctx, const QueryParams& query) {
    ListParams p;
    p.v2 = http::find_param(query, "list-type").value_or("") == "2";
    p.prefix = http::find_param(query, "prefix").value_or("");
    p.delimiter = http::find_param(query, "delimiter").value_or("");
    if (const auto max_keys = http::find_param(query, "max-keys")) {
        long long n = -1;
        const auto* end = max_keys->data() + max_keys->size();
        const auto [ptr, ec] = std::from_chars(max_keys->data(), end, n);
        if (ec != std::errc{} || ptr != end || n < 0) {
            return s3_error(400, "InvalidArgument",
                            "Provided max-keys not an integer or within "
                            "integer range",
                            {{"ArgumentName", "max-keys"}, {"ArgumentValue", *max_keys}}, state,
                            ctx);
        }
        p.max_keys = static_cast<int>(std::min<long long>(n, max_list_keys));
    }
    if (const auto encoding = http::find_param(query, "encoding-type")) {
        if (*encoding != "url") {
            return s3_error(400, "InvalidArgument", "Invalid Encoding Method specified in Request",
                            {{"ArgumentName", "encoding-type"}, {"ArgumentValue", *encoding}},
                            state, ctx);
        }
        p.url_encoding = true;
    }
    p.start_after = http::find_param(query, p.v2 ? "start-after" : "marker").value_or("");
    p.start.after = p.start_after;
    // V1: a NextMarker that is a common prefix resumes past every key under it.
    p.start.after_prefix = !p.v2 && !p.delimiter.empty() &&
                           p.start_after.size() >= p.delimiter.size() &&
                           p.start_after.compare(p.start_after.size() - p.delimiter.size(),
                                                 p.delimiter.size(), p.delimiter) == 0;
    if (p.v2) {
        p.continuation_token = http::find_param(query, "continuation-token");
        if (p.continuation_token) {
            const auto start = decode_token(*p.continuation_token);
            if (!start) {
                return s3_error(400, "InvalidArgument",
                                "The continuation token provided is incorrect",
                                {{"ArgumentName", "continuation-token"}}, state, ctx);
            }
            p.start = *start; // the token wins over start-after, as in S3
        }
    }
    return p;
}

/// One page of a listing: keys and common prefixes in key order, at most max_keys of them.
struct ListPage {
    std::string contents;
    std::vector<std::string> common_prefixes;
    int count = 0;
    bool truncated = false;
    std::string last_entry; ///< the last key or common prefix on the page
    bool last_is_prefix = false;
};

ListPage list_page(const StoredBucket& bucket, const ListParams& p) {
    const auto encode = [&](const std::string& text) {
        return http::xml_escape(p.url_encoding ? http::aws_uri_encode(text, false) : text);
    };
    ListPage page;
    const auto& objects = bucket.objects;
    for (auto it = objects.upper_bound(p.start.after); it != objects.end(); ++it) {
        const auto& [key, object] = *it;
        if ((p.start.after_prefix && starts_with(key, p.start.after)) ||
            !starts_with(key, p.prefix)) {
            continue;
        }
        std::string common_prefix;
        if (!p.delimiter.empty()) {
            const auto pos = key.find(p.delimiter, p.prefix.size());
            if (pos != std::string::npos) {
                common_prefix = key.substr(0, pos + p.delimiter.size());
                if (page.last_is_prefix && common_prefix == page.last_entry) {
                    continue; // one entry per common prefix
                }
            }
        }
        if (page.count == p.max_keys) {
            page.truncated = true;
            break;
        }
        ++page.count;
        if (!common_prefix.empty()) {
            page.common_prefixes.push_back(common_prefix);
            page.last_entry = common_prefix;
            page.last_is_prefix = true;
            continue;
        }
        page.last_entry = key;
        page.last_is_prefix = false;
        page.contents += "<Contents><Key>" + encode(key) + "</Key><LastModified>" +
                         http::format_iso8601(object.last_modified) + "</LastModified><ETag>" +
                         http::xml_escape(object.etag) + "</ETag><Size>" +
                         std::to_string(object.data->size()) +
                         "</Size><StorageClass>STANDARD</StorageClass></Contents>";
    }
    return page;
}

} // namespace

std::optional<boost::property_tree::ptree> parse_request_xml(std::string_view body) {
    if (nesting_depth(body) > max_xml_depth || !entities_well_formed(body)) {
        return std::nullopt;
    }
    try {
        std::istringstream in{std::string(body)};
        boost::property_tree::ptree tree;
        boost::property_tree::read_xml(in, tree, boost::property_tree::xml_parser::trim_whitespace);
        if (tree.size() != 1) {
            return std::nullopt; // exactly one root element
        }
        return tree;
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

ResponsePlan malformed_xml(const ObjectServer::State& state, const RequestContext& ctx) {
    return s3_error(400, "MalformedXML",
                    "The XML you provided was not well-formed or did not validate against our "
                    "published schema",
                    {}, state, ctx);
}

ResponsePlan list_objects(const ObjectServer::State& state, const RequestContext& ctx,
                          const std::string& bucket, const QueryParams& query) {
    const auto b = state.buckets.find(bucket);
    if (b == state.buckets.end()) {
        return s3_error(404, "NoSuchBucket", "The specified bucket does not exist",
                        {{"BucketName", bucket}}, state, ctx);
    }
    auto parsed = list_params(state, ctx, query);
    if (auto* error = std::get_if<ResponsePlan>(&parsed)) {
        return *error;
    }
    const ListParams& p = std::get<ListParams>(parsed);
    const ListPage page = list_page(b->second, p);
    const auto encode = [&](const std::string& text) {
        return http::xml_escape(p.url_encoding ? http::aws_uri_encode(text, false) : text);
    };
    std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult xmlns=\"";
    xml += xml_namespace;
    xml +=
        "\"><Name>" + http::xml_escape(bucket) + "</Name><Prefix>" + encode(p.prefix) + "</Prefix>";
    if (p.v2) {
        if (p.continuation_token) {
            xml += "<ContinuationToken>" + http::xml_escape(*p.continuation_token) +
                   "</ContinuationToken>";
        }
        if (page.truncated) {
            xml += "<NextContinuationToken>" + encode_token(page.last_entry, page.last_is_prefix) +
                   "</NextContinuationToken>";
        }
        if (!p.start_after.empty()) {
            xml += "<StartAfter>" + encode(p.start_after) + "</StartAfter>";
        }
        xml += "<KeyCount>" + std::to_string(page.count) + "</KeyCount>";
    } else {
        xml += "<Marker>" + encode(p.start_after) + "</Marker>";
        if (page.truncated) {
            xml += "<NextMarker>" + encode(page.last_entry) + "</NextMarker>";
        }
    }
    xml += "<MaxKeys>" + std::to_string(p.max_keys) + "</MaxKeys>";
    if (!p.delimiter.empty()) {
        xml += "<Delimiter>" + encode(p.delimiter) + "</Delimiter>";
    }
    if (p.url_encoding) {
        xml += "<EncodingType>url</EncodingType>";
    }
    xml += std::string("<IsTruncated>") + (page.truncated ? "true" : "false") + "</IsTruncated>" +
           page.contents;
    for (const auto& prefix : page.common_prefixes) {
        xml += "<CommonPrefixes><Prefix>" + encode(prefix) + "</Prefix></CommonPrefixes>";
    }
    xml += "</ListBucketResult>";
    return body_response(200, "application/xml", std::move(xml), state, ctx);
}

} // namespace fota::cloud
