// Request payloads (see s3_operations.hpp): aws-chunked bodies decoded, Content-MD5 checked.
#include "s3_handler.hpp"
#include "s3_operations.hpp"

#include "fota/cloud/http/crypto.hpp"

#include <charconv>

namespace fota::cloud {

namespace bhttp = boost::beast::http;

namespace {

bool starts_with(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && s.substr(0, prefix.size()) == prefix;
}

std::string hex_to_bytes(std::string_view hex) {
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        unsigned value = 0;
        std::from_chars(hex.data() + i, hex.data() + i + 2, value, 16);
        out.push_back(static_cast<char>(value));
    }
    return out;
}

} // namespace

std::variant<std::string, ResponsePlan>
request_payload(const ObjectServer::State& state, const S3Request& req, const RequestContext& ctx) {
    std::string data = req.body();
    const auto sha_it = req.find("x-amz-content-sha256");
    const bool chunked =
        (sha_it != req.end() &&
         starts_with({sha_it->value().data(), sha_it->value().size()}, "STREAMING-")) ||
        (req.find(bhttp::field::content_encoding) != req.end() &&
         req[bhttp::field::content_encoding].find("aws-chunked") != std::string_view::npos);
    if (chunked) {
        auto decoded = decode_aws_chunked(data);
        if (!decoded) {
            return s3_error(400, "IncompleteBody", "The aws-chunked request body is malformed.", {},
                            state, ctx);
        }
        data = std::move(*decoded);
    }
    const auto md5_it = req.find("Content-MD5");
    if (md5_it != req.end()) {
        const std::string expected = http::base64_encode(hex_to_bytes(http::md5_hex(data)));
        if (md5_it->value().size() != 24) {
            return s3_error(400, "InvalidDigest", "The Content-MD5 you specified was invalid.", {},
                            state, ctx);
        }
        if (md5_it->value() != expected) {
            return s3_error(400, "BadDigest",
                            "The Content-MD5 you specified did not match what we received.", {},
                            state, ctx);
        }
    }
    return data;
}

} // namespace fota::cloud
