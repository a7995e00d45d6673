// SigV4 against AWS's published S3 examples (GET with Range, presigned URL) and against vectors
// produced by botocore 1.43.11 (the AWS CLI's signer) for the iot and iot-jobs-data services.
#include "fota/cloud/http/crypto.hpp"
#include "fota/cloud/http/sigv4.hpp"

#include <catch2/catch.hpp>

using namespace fota::cloud::http;

namespace {

const Credentials example_credentials{"AKIAIOSFODNN7EXAMPLE",
                                      "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};

TimePoint example_time() {
    return *parse_amz_date("20130524T000000Z");
}

SecretLookup lookup_for(const Credentials& c) {
    return [c](std::string_view akid) -> std::optional<std::string> {
        if (akid == c.access_key_id) {
            return c.secret_access_key;
        }
        return std::nullopt;
    };
}

SigV4Request s3_get_example() {
    return SigV4Request{
        "GET",
        "/test.txt",
        {{"Host", "examplebucket.s3.amazonaws.com"},
         {"Range", "bytes=0-9"},
         {"x-amz-content-sha256", sha256_hex("")},
         {"x-amz-date", "20130524T000000Z"},
         {"Authorization",
          "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
          "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
          "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"}},
        ""};
}

} // namespace

TEST_CASE("sigv4: hashes and the derived key") {
    CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(base64_encode("") == "");
    CHECK(base64_encode("f") == "Zg==");
    CHECK(base64_encode("fo") == "Zm8=");
    CHECK(base64_encode("foo") == "Zm9v");
    CHECK(md5_hex("") == "d41d8cd98f00b204e9800998ecf8427e");
    // AWS's documented derived-key example (secret ...EXAMPLEKEY, 20120215, us-east-1, iam).
    CHECK(to_hex(signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                             {"20120215", "us-east-1", "iam"})) ==
          "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

TEST_CASE("sigv4: canonical pieces") {
    CHECK(canonical_uri("", true) == "/");
    CHECK(canonical_uri("/things/dev%3A1/jobs/$next", false) == "/things/dev%253A1/jobs/%24next");
    CHECK(canonical_uri("/bucket/a%20b", true) == "/bucket/a%20b");
    CHECK(canonical_query("status=IN_PROGRESS&maxResults=100&nextToken=a%2Fb%20c", false) ==
          "maxResults=100&nextToken=a%2Fb%20c&status=IN_PROGRESS");
    CHECK(canonical_query("b=2&a=1&a=0&flag", false) == "a=0&a=1&b=2&flag=");
    CHECK(canonical_query("X-Amz-Signature=abc&X-Amz-Date=1", true) == "X-Amz-Date=1");
    CHECK_FALSE(canonical_query("a=%zz", false).has_value());
    CHECK(canonical_headers({{"Host", "h"}, {"X-A", "  a   b  "}, {"x-a", "c"}}, {"host", "x-a"}) ==
          "host:h\nx-a:a b,c\n");
}

TEST_CASE("sigv4: AWS's S3 GetObject example with Range") {
    SigV4Request req = s3_get_example();
    req.headers.pop_back(); // sign it ourselves
    sign_request(req, example_credentials, "us-east-1", "s3", example_time());
    CHECK(req.header("authorization").value() == s3_get_example().header("authorization").value());

    const auto verdict = verify_sigv4(s3_get_example(), lookup_for(example_credentials),
                                      example_time() + std::chrono::seconds(30));
    CHECK(verdict.status == SigV4Status::ok);
    CHECK(verdict.scope.service == "s3");
    CHECK_FALSE(verdict.presigned);
}

TEST_CASE("sigv4: AWS's S3 presigned URL example") {
    PresignRequest pr;
    pr.scheme = "https";
    pr.host = "examplebucket.s3.amazonaws.com";
    pr.path = "/test.txt";
    pr.expires = std::chrono::seconds(86400);
    pr.now = example_time();
    const std::string url = presign_url(pr, example_credentials);
    CHECK(url ==
          "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
          "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
          "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
          "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");

    const std::string target = url.substr(url.find("/test.txt"));
    SigV4Request req{"GET", target, {{"Host", "examplebucket.s3.amazonaws.com"}}, ""};
    const auto lookup = lookup_for(example_credentials);

    SECTION("valid until the last second") {
        const auto v = verify_sigv4(req, lookup, example_time() + std::chrono::seconds(86400));
        CHECK(v.status == SigV4Status::ok);
        CHECK(v.presigned);
        CHECK(v.expires_seconds == 86400);
    }
    SECTION("expired one second later, even without signature checks") {
        CHECK(verify_sigv4(req, lookup, example_time() + std::chrono::seconds(86401)).status ==
              SigV4Status::expired);
        CHECK(verify_sigv4(req, nullptr, example_time() + std::chrono::seconds(86401),
                           VerifyOptions{false, std::chrono::seconds(900)})
                  .status == SigV4Status::expired);
    }
    SECTION("dated in the future") {
        CHECK(verify_sigv4(req, lookup, example_time() - std::chrono::hours(1)).status ==
              SigV4Status::not_yet_valid);
    }
    SECTION("a tampered path, host or signature") {
        SigV4Request other = req;
        other.target.replace(0, 9, "/test.tXt");
        CHECK(verify_sigv4(other, lookup, example_time()).status ==
              SigV4Status::signature_mismatch);
        other = req;
        other.headers[0].value = "examplebucket.s3.amazonaws.com:80";
        CHECK(verify_sigv4(other, lookup, example_time()).status ==
              SigV4Status::signature_mismatch);
        other = req;
        other.target.back() = other.target.back() == '4' ? '5' : '4';
        CHECK(verify_sigv4(other, lookup, example_time()).status ==
              SigV4Status::signature_mismatch);
    }
    SECTION("an unknown key") {
        CHECK(verify_sigv4(req, lookup_for({"OTHER", "x", ""}), example_time()).status ==
              SigV4Status::unknown_access_key);
    }
}

TEST_CASE("sigv4: botocore vectors for iot and iot-jobs-data") {
    const auto lookup = lookup_for(example_credentials);
    SECTION("iot CreateJob with a JSON body") {
        SigV4Request req{"PUT",
                         "/jobs/fw-1",
                         {{"Content-Type", "application/json"}, {"Host", "127.0.0.1:8443"}},
                         R"({"targets":["arn:aws:iot:us-east-1:123456789012:thing/dev1"],)"
                         R"("document":"{}"})"};
        sign_request(req, example_credentials, "us-east-1", "iot", example_time());
        CHECK(req.header("authorization").value() ==
              "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/iot/"
              "aws4_request, SignedHeaders=content-type;host;x-amz-date, "
              "Signature=e2afa32eeea4dbeb4238802ca3056ceaa337507657d517c935e3a8c56e61680b");
        CHECK(verify_sigv4(req, lookup, example_time()).status == SigV4Status::ok);
        req.body += " ";
        CHECK(verify_sigv4(req, lookup, example_time()).status == SigV4Status::signature_mismatch);
    }
    SECTION("iot-jobs-data StartNext: '$next' and an encoded ':' in the path") {
        SigV4Request req{"PUT", "/things/dev%3A1/jobs/$next", {{"Host", "127.0.0.1:8443"}}, "{}"};
        sign_request(req, example_credentials, "us-east-1", "iot-jobs-data", example_time());
        CHECK(
            req.header("authorization")
                .value()
                .ends_with(
                    "Signature=5301ec197ba04da955463ca16726edde7f562986264b170fa203c04bc413e9d1"));
        CHECK(verify_sigv4(req, lookup, example_time()).status == SigV4Status::ok);
    }
    SECTION("iot ListJobExecutionsForJob: query parameters sorted and re-encoded") {
        SigV4Request req{"GET",
                         "/jobs/fw-1/things?status=IN_PROGRESS&maxResults=100&nextToken=a%2Fb%20c",
                         {{"Host", "127.0.0.1:8443"}},
                         ""};
        sign_request(req, example_credentials, "us-east-1", "iot", example_time());
        CHECK(
            req.header("authorization")
                .value()
                .ends_with(
                    "Signature=771191064954fbb55bab70ac06dff065ac542027c629bee7067dd5f5791420c5"));
        CHECK(verify_sigv4(req, lookup, example_time()).status == SigV4Status::ok);
    }
}

TEST_CASE("sigv4: header auth failures are statuses, never exceptions") {
    const auto lookup = lookup_for(example_credentials);
    const auto at = example_time();
    auto with_auth = [](std::string auth) {
        SigV4Request req = s3_get_example();
        req.headers.back().value = std::move(auth);
        return req;
    };
    CHECK(verify_sigv4(with_auth("AWS AKID:sig"), lookup, at).status ==
          SigV4Status::unsupported_algorithm);
    CHECK(verify_sigv4(with_auth("AWS4-HMAC-SHA256"), lookup, at).status == SigV4Status::malformed);
    CHECK(verify_sigv4(with_auth("AWS4-HMAC-SHA256 Credential"), lookup, at).status ==
          SigV4Status::malformed);
    CHECK(verify_sigv4(with_auth("AWS4-HMAC-SHA256 Credential=A/2013/x/s3/aws4_request, "
                                 "SignedHeaders=host, Signature=00"),
                       lookup, at)
              .status == SigV4Status::malformed);
    CHECK(verify_sigv4(with_auth("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/"
                                 "us-east-1/s3/aws4_request, SignedHeaders=range;host, "
                                 "Signature=00"),
                       lookup, at)
              .status == SigV4Status::malformed);
    SigV4Request unsigned_req{"GET", "/test.txt", {{"Host", "h"}}, ""};
    CHECK(verify_sigv4(unsigned_req, lookup, at).status == SigV4Status::anonymous);
    CHECK(verify_sigv4(s3_get_example(), lookup, at + std::chrono::minutes(16)).status ==
          SigV4Status::clock_skew);
    SigV4Request wrong_body = s3_get_example();
    wrong_body.body = "x";
    CHECK(verify_sigv4(wrong_body, lookup, at).status == SigV4Status::payload_hash_mismatch);
    SigV4Request bad_query{
        "GET", "/x?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=abc", {{"Host", "h"}}, ""};
    CHECK(verify_sigv4(bad_query, lookup, at).status == SigV4Status::malformed);
}
