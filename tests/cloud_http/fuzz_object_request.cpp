// Fuzzes the object server's whole request path: raw bytes -> Beast's parser -> S3 dispatch,
// SigV4 parsing and verification, Range, aws-chunked bodies, the control API's JSON.
#include "s3_handler.hpp"

#include <boost/beast/http/parser.hpp>

#include <cstddef>
#include <cstdint>

namespace {

fota::cloud::ObjectServer::State& state() {
    static fota::cloud::ObjectServer::State s = [] {
        fota::cloud::ObjectServerConfig config;
        config.credentials = fota::cloud::http::Credentials{"AKIDFUZZ", "fuzz-secret", ""};
        config.clock = [] { return fota::cloud::http::parse_amz_date("20260101T000000Z").value(); };
        config.max_object_size = 1 << 16;
        return fota::cloud::ObjectServer::State(config);
    }();
    return s;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto& s = state();
    {
        std::lock_guard lock(s.mutex);
        if (s.buckets.empty()) {
            s.buckets["fw"].objects["a.bin"] = s.make_object(std::string(100, 'x'), "b/o");
        }
        if (s.faults.size() > 16) {
            s.faults.clear();
        }
        if (s.buckets.size() > 64) {
            s.buckets.clear();
        }
    }
    boost::beast::http::request_parser<boost::beast::http::string_body> parser;
    parser.eager(true);
    parser.body_limit(1 << 16);
    boost::beast::error_code ec;
    parser.put(boost::asio::buffer(data, size), ec);
    if (!ec && parser.is_done()) {
        // Without credentials too: the presigned-expiry-only path.
        const auto plan = fota::cloud::handle_request(s, parser.get());
        if (plan.body && plan.offset + plan.length > plan.body->size()) {
            __builtin_trap();
        }
        (void)fota::cloud::serialize_head(plan);
    }
    (void)fota::cloud::decode_aws_chunked(
        std::string_view(reinterpret_cast<const char*>(data), size));
    return 0;
}
