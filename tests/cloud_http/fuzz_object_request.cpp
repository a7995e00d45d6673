// Fuzzes the object server's whole request path: raw bytes -> Beast's parser -> S3 dispatch,
// SigV4 parsing and verification, Range, aws-chunked bodies, the control API's JSON.
#include "s3_handler.hpp"

#include "fota/cloud/object_store.hpp"

#include <boost/beast/http/parser.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace {

std::unique_ptr<fota::cloud::ObjectStore> make_store() {
    fota::cloud::ObjectStoreConfig config;
    config.credentials = fota::cloud::http::Credentials{"AKIDFUZZ", "fuzz-secret", ""};
    config.clock = [] { return fota::cloud::http::parse_amz_date("20260101T000000Z").value(); };
    config.max_object_size = 1 << 16;
    auto store = std::make_unique<fota::cloud::ObjectStore>(config);
    store->put_object("fw", "a.bin", std::string(100, 'x'), "b/o");
    return store;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    // A fresh store now and then, so buckets, faults and counters made by earlier inputs stay few.
    static std::unique_ptr<fota::cloud::ObjectStore> store;
    static unsigned runs = 0;
    if (!store || ++runs % 256 == 0 || store->faults().size() > 16) {
        store = make_store();
    }
    boost::beast::http::request_parser<boost::beast::http::string_body> parser;
    parser.eager(true);
    parser.body_limit(1 << 16);
    boost::beast::error_code ec;
    parser.put(boost::asio::buffer(data, size), ec);
    if (!ec && parser.is_done()) {
        // Without credentials too: the presigned-expiry-only path.
        const auto plan = store->handle(parser.get());
        if (plan.body && plan.offset + plan.length > plan.body->size()) {
            __builtin_trap();
        }
        (void)fota::cloud::serialize_head(plan);
    }
    (void)fota::cloud::decode_aws_chunked(
        std::string_view(reinterpret_cast<const char*>(data), size));
    return 0;
}
