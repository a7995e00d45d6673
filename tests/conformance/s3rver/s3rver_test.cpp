// Our S3 code against an S3 server no one here wrote: s3rver (npm, pinned in package-lock.json),
// started by run_s3rver_test.sh, which passes its endpoint in FOTA_S3RVER_ENDPOINT.
//
// What is ours here: the SigV4 signer (cloud/http sigv4.hpp) making CreateBucket, PutObject,
// HeadObject and GetObject; the control plane's S3Presigner, which signs the job documents'
// ${aws:iot:s3-presigned-url:...} URLs devices download from; and the devices' HTTP client
// (CurlHttpClient), fetching the image in Range requests as a device does.
//
// s3rver 3.7.1 parses SigV4 (header and query forms), checks the access key id and a presigned
// URL's expiry, but does not recompute V4 signatures (its source says so): a wrong secret passes
// there. Our signatures are checked against botocore's by the AWS CLI tests (tests/conformance/
// aws_cli) instead.
//
// Not covered yet: a scenario run against s3rver. The url stack uploads images through our object
// server's control API (PUT /_fota/objects/<bucket>/<key>), which s3rver does not have, and
// `fota-sim cloud` presigns job documents for its own object server only (the presigner's
// endpoint and credentials are not options). Both paths are exercised here piece by piece: the
// SigV4 PutObject a `stack: aws` upload needs, and the presigner plus device client.
#include "http_client.hpp"

#include "fota/cloud/http/aws_time.hpp"
#include "fota/cloud/http/crypto.hpp"
#include "fota/cloud/http/sigv4.hpp"
#include "fota/cloud/s3_presigner.hpp"
#include "fota/sim/curl_http_client.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace http = fota::cloud::http;

namespace {

/// s3rver's built-in credentials.
const http::Credentials s3rver_credentials{"S3RVER", "S3RVER", ""};

std::string endpoint() {
    const char* value = std::getenv("FOTA_S3RVER_ENDPOINT");
    if (value == nullptr || std::string(value).rfind("http://", 0) != 0) {
        FAIL("FOTA_S3RVER_ENDPOINT is not set: run this test through run_s3rver_test.sh (ctest -L "
             "s3rver)");
    }
    return value;
}

std::string host_of(const std::string& url) {
    return url.substr(std::string("http://").size());
}

/// One S3 request signed by our SigV4 signer (header authentication, payload hash signed).
fota::test::HttpResult signed_request(const std::string& method, const std::string& target,
                                      const std::string& body = {},
                                      const http::Credentials& credentials = s3rver_credentials) {
    const std::string base = endpoint();
    http::SigV4Request req;
    req.method = method;
    req.target = target;
    req.headers.push_back({"host", host_of(base)});
    req.body = body;
    http::sign_request(req, credentials, "us-east-1", "s3", std::chrono::system_clock::now());
    std::vector<std::string> headers;
    for (const auto& h : req.headers) {
        if (h.name != "host") {
            headers.push_back(h.name + ": " + h.value);
        }
    }
    return fota::test::http_request(method, base + target, headers, body);
}

std::string firmware_image(std::size_t n) {
    std::string s(n, '\0');
    std::uint32_t state = 0x5eed;
    for (auto& byte : s) {
        state = state * 1664525u + 1013904223u;
        byte = static_cast<char>(state >> 24);
    }
    return s;
}

struct RangedDownload {
    std::string body;
    std::vector<int> statuses;
    std::vector<std::string> content_ranges;
    std::string failure;
    bool finished = false;
};

/// Downloads `url` in Range requests of `fragment` bytes with the devices' HTTP client, each
/// next request started from the previous one's handler, as the device runtime does.
RangedDownload download_in_ranges(const std::string& url, std::uint64_t size,
                                  std::uint64_t fragment) {
    boost::asio::io_context io;
    auto strand = boost::asio::make_strand(io);
    fota::sim::CurlHttpClient client(strand, fota::sim::HttpClientOptions{});
    RangedDownload result;
    std::function<void(std::uint64_t)> fetch_from;
    fetch_from = [&](std::uint64_t offset) {
        fota::sim::HttpRequestSpec request;
        request.url = url;
        request.range_start = offset;
        request.range_end = std::min(offset + fragment, size) - 1;
        auto part = std::make_shared<std::string>();
        fota::sim::HttpHandlers handlers;
        handlers.on_status = [&](int status) { result.statuses.push_back(status); };
        handlers.on_header = [&](std::string_view name, std::string_view value) {
            if (name == "Content-Range" || name == "content-range") {
                result.content_ranges.emplace_back(value);
            }
        };
        handlers.on_body = [part](std::span<const std::uint8_t> chunk) {
            part->append(reinterpret_cast<const char*>(chunk.data()), chunk.size());
        };
        handlers.on_done = [&, part, offset] {
            result.body += *part;
            const std::uint64_t next = offset + part->size();
            if (result.statuses.back() != 206 || part->empty() || next >= size) {
                result.finished = true;
            } else {
                fetch_from(next);
            }
        };
        handlers.on_error = [&](fota::sim::HttpFailure failure, std::string_view message) {
            result.failure =
                std::string(fota::sim::to_string(failure)) + ": " + std::string(message);
            result.finished = true;
        };
        boost::asio::post(strand,
                          [&client, request, handlers] { client.start(request, handlers); });
    };
    fetch_from(0);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!result.finished && std::chrono::steady_clock::now() < deadline) {
        io.run_for(std::chrono::milliseconds(50));
    }
    if (!result.finished) {
        result.failure = "no answer within 60 s";
    }
    return result;
}

} // namespace

TEST_CASE("s3rver: our SigV4 signer creates a bucket and uploads, heads and gets an image") {
    const std::string image = firmware_image(300 * 1024 + 17);
    auto r = signed_request("PUT", "/firmware");
    INFO("CreateBucket: " << r.status << " " << r.body);
    REQUIRE(r.status == 200);

    r = signed_request("PUT", "/firmware/v2/app_update.bin", image);
    INFO("PutObject: " << r.status << " " << r.body);
    REQUIRE(r.status == 200);
    CHECK(r.headers["etag"] == "\"" + http::md5_hex(image) + "\"");

    r = signed_request("HEAD", "/firmware/v2/app_update.bin");
    CHECK(r.status == 200);
    CHECK(r.headers["content-length"] == std::to_string(image.size()));

    r = signed_request("GET", "/firmware/v2/app_update.bin");
    CHECK(r.status == 200);
    CHECK(http::sha256_hex(r.body) == http::sha256_hex(image));

    // s3rver reads the credential out of our Authorization header: an unknown key is refused.
    r = signed_request("PUT", "/firmware/v2/other.bin", "x", {"AKIDUNKNOWN", "S3RVER", ""});
    CHECK(r.status == 403);
    CHECK(r.body.find("InvalidAccessKeyId") != std::string::npos);
}

TEST_CASE("s3rver: devices download the image in Range requests from presigned URLs") {
    const std::string image = firmware_image(200 * 1024 + 5);
    REQUIRE(signed_request("PUT", "/devices-fw").status == 200);
    REQUIRE(signed_request("PUT", "/devices-fw/app.bin", image).status == 200);

    // What a job document holds, as the control plane signs it for devices (S3Presigner).
    fota::cloud::S3Presigner presigner({endpoint(), s3rver_credentials, "us-east-1"});
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    const auto url =
        presigner.presign("https://devices-fw.s3.us-east-1.amazonaws.com/app.bin", 3600, now);
    REQUIRE(url.has_value());
    INFO("presigned URL: " << *url);
    CHECK(url->rfind(endpoint() + "/devices-fw/app.bin?", 0) == 0);

    const std::uint64_t fragment = 16 * 1024;
    const auto download = download_in_ranges(*url, image.size(), fragment);
    INFO("failure: " << download.failure);
    REQUIRE(download.failure.empty());
    const std::size_t requests = (image.size() + fragment - 1) / fragment;
    CHECK(download.statuses == std::vector<int>(requests, 206));
    REQUIRE(download.content_ranges.size() == requests);
    CHECK(download.content_ranges.front() == "bytes 0-16383/" + std::to_string(image.size()));
    CHECK(download.content_ranges.back() == "bytes 196608-204804/204805");
    CHECK(download.body.size() == image.size());
    CHECK(http::sha256_hex(download.body) == http::sha256_hex(image));

    // A resumed download starts mid-image.
    auto resumed = fota::test::http_request("GET", *url, {"Range: bytes=100000-"});
    CHECK(resumed.status == 206);
    CHECK(resumed.body == image.substr(100000));
}

TEST_CASE("s3rver: presigned URLs expire; an unknown access key is refused") {
    REQUIRE(signed_request("PUT", "/expiry-fw").status == 200);
    REQUIRE(signed_request("PUT", "/expiry-fw/app.bin", "image").status == 200);
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    fota::cloud::S3Presigner presigner({endpoint(), s3rver_credentials, "us-east-1"});
    // Signed two minutes ago for 60 s (the presigner rounds the time down to half the window).
    const auto expired =
        presigner.presign("https://expiry-fw.s3.us-east-1.amazonaws.com/app.bin", 60, now - 120);
    REQUIRE(expired.has_value());
    auto r = fota::test::http_request("GET", *expired);
    INFO(r.body);
    CHECK(r.status == 403);
    CHECK(r.body.find("AccessDenied") != std::string::npos);

    fota::cloud::S3Presigner stranger({endpoint(), {"AKIDUNKNOWN", "S3RVER", ""}, "us-east-1"});
    const auto foreign =
        stranger.presign("https://expiry-fw.s3.us-east-1.amazonaws.com/app.bin", 3600, now);
    REQUIRE(foreign.has_value());
    r = fota::test::http_request("GET", *foreign);
    CHECK(r.status == 403);
    CHECK(r.body.find("InvalidAccessKeyId") != std::string::npos);

    const auto good =
        presigner.presign("https://expiry-fw.s3.us-east-1.amazonaws.com/app.bin", 3600, now);
    REQUIRE(good.has_value());
    r = fota::test::http_request("GET", *good);
    CHECK(r.status == 200);
    CHECK(r.body == "image");
}
