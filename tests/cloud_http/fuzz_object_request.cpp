// Fuzzes the object server's whole request path: raw bytes -> Beast's parser -> S3 dispatch,
// SigV4 parsing and verification, Range, aws-chunked bodies, multipart uploads and their XML,
// paginated listings, the control API's JSON.
#include "s3_handler.hpp"

#include "fota/cloud/object_store.hpp"

#include <boost/beast/http/parser.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace {

/// signed: every request must carry a valid signature (the fuzzer rarely makes one: this store
/// mostly exercises SigV4 parsing); unsigned: requests reach the S3 operations themselves
/// (multipart uploads, listings, bucket configuration).
std::unique_ptr<fota::cloud::ObjectStore> make_store(bool signed_requests) {
    fota::cloud::ObjectStoreConfig config;
    if (signed_requests) {
        config.credentials = fota::cloud::http::Credentials{"AKIDFUZZ", "fuzz-secret", ""};
    }
    config.clock = [] { return fota::cloud::http::parse_amz_date("20260101T000000Z").value(); };
    config.max_object_size = 1 << 16;
    config.min_part_size = 4;
    auto store = std::make_unique<fota::cloud::ObjectStore>(config);
    store->put_object("fw", "a.bin", std::string(100, 'x'), "b/o");
    return store;
}

void check_plan(const fota::cloud::ResponsePlan& plan) {
    if (plan.body && plan.offset + plan.length > plan.body->size()) {
        __builtin_trap();
    }
    (void)fota::cloud::serialize_head(plan);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    // Fresh stores now and then, so buckets, uploads, faults and counters made by earlier inputs
    // stay few.
    static std::unique_ptr<fota::cloud::ObjectStore> signed_store;
    static std::unique_ptr<fota::cloud::ObjectStore> open_store;
    static unsigned runs = 0;
    if (!signed_store || ++runs % 256 == 0 || signed_store->faults().size() > 16 ||
        open_store->faults().size() > 16) {
        signed_store = make_store(true);
        open_store = make_store(false);
    }
    boost::beast::http::request_parser<boost::beast::http::string_body> parser;
    parser.eager(true);
    parser.body_limit(1 << 16);
    boost::beast::error_code ec;
    parser.put(boost::asio::buffer(data, size), ec);
    if (!ec && parser.is_done()) {
        check_plan(signed_store->handle(parser.get()));
        check_plan(open_store->handle(parser.get()));
    }
    (void)fota::cloud::decode_aws_chunked(
        std::string_view(reinterpret_cast<const char*>(data), size));
    return 0;
}
