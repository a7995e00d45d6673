// Fuzzes the small parsers on their own: Range, query strings, paths, amz dates, SigV4
// verification of arbitrary headers and targets, and fault JSON.
#include "fota/cloud/http/byte_range.hpp"
#include "fota/cloud/http/sigv4.hpp"
#include "fota/cloud/http/uri.hpp"
#include "fota/cloud/object_server.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace fota::cloud::http;
    const std::string input(reinterpret_cast<const char*>(data), size);
    const auto r = resolve_range(input, size);
    if (r.outcome == RangeOutcome::partial && (r.first > r.last || r.last >= size)) {
        __builtin_trap();
    }
    (void)parse_query(input);
    (void)split_path(input);
    (void)parse_amz_date(input);
    (void)canonical_query(input, true);
    (void)fota::cloud::parse_object_fault(input);

    // Split the input into a target, an Authorization header and an x-amz-date header.
    const auto a = input.find('\n');
    const auto b = a == std::string::npos ? std::string::npos : input.find('\n', a + 1);
    SigV4Request req;
    req.method = "GET";
    req.target = input.substr(0, a);
    req.headers.push_back({"Host", "127.0.0.1"});
    if (a != std::string::npos) {
        req.headers.push_back({"Authorization", input.substr(a + 1, b - a - 1)});
    }
    if (b != std::string::npos) {
        req.headers.push_back({"x-amz-date", input.substr(b + 1)});
    }
    const SecretLookup lookup = [](std::string_view) { return std::optional<std::string>("s"); };
    (void)verify_sigv4(req, lookup, parse_amz_date("20130524T000000Z").value());
    return 0;
}
