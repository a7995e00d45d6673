// The real AWS CLI against the object server: buckets (mb, rb), uploads (a multipart one of
// 20 MiB too), downloads, ranged gets, head-object, paginated listings, errors, and a presigned
// URL before and after expiry. The server verifies every SigV4
// signature the CLI makes, so these tests also cross-check our SigV4 against botocore's.
#include "aws_cli_runner.hpp"
#include "http_client.hpp"

#include "fota/cloud/http/crypto.hpp"
#include "fota/cloud/object_server.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

using fota::cloud::ObjectServer;
using fota::cloud::ObjectServerConfig;
using fota::test::AwsCli;
using fota::test::CommandResult;

namespace {

const char* const access_key = "AKIDFOTACONFORMANCE";
const char* const secret_key = "fota-conformance-secret";

struct S3Stack {
    S3Stack() {
        ObjectServerConfig config;
        config.credentials = fota::cloud::http::Credentials{access_key, secret_key, ""};
        config.clock = [this] {
            return std::chrono::system_clock::now() + std::chrono::seconds(clock_offset.load());
        };
        server = std::make_unique<ObjectServer>(io, std::move(config));
        server->start();
        thread = std::thread([this] { io.run(); });
    }
    ~S3Stack() {
        server->stop();
        guard.reset();
        io.stop();
        thread.join();
    }
    CommandResult aws(std::vector<std::string> args) {
        args.push_back("--endpoint-url");
        args.push_back(server->endpoint());
        auto r = cli.run(args);
        INFO("aws " << args.front() << " exit " << r.exit_code << "\nstdout: " << r.out
                    << "\nstderr: " << r.err);
        return r;
    }

    AwsCli cli{access_key, secret_key};
    std::atomic<long long> clock_offset{0};
    boost::asio::io_context io;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard{
        io.get_executor()};
    std::unique_ptr<ObjectServer> server;
    std::thread thread;
};

std::string firmware(std::size_t n) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) {
        s[i] = static_cast<char>((i * 131 + 7) & 0xff);
    }
    return s;
}

#define REQUIRE_OK(result)                                                                         \
    do {                                                                                           \
        const auto& r_ = (result);                                                                 \
        INFO("exit " << r_.exit_code << "\nstdout: " << r_.out << "\nstderr: " << r_.err);         \
        REQUIRE(r_.exit_code == 0);                                                                \
    } while (false)

} // namespace

TEST_CASE("aws cli: the CLI is installed where CMake found it") {
    INFO("FOTA_AWS_CLI = " << AwsCli::path());
    AwsCli cli(access_key, secret_key); // throws (fails the test) when missing
    CHECK(cli.version().rfind("aws-cli/", 0) == 0);
}

TEST_CASE("aws cli: s3 mb, cp up and down, ls, rm") {
    S3Stack s;
    const std::string image = firmware(300 * 1024 + 17);
    fota::test::write_file(s.cli.dir() + "/app_update.bin", image);
    REQUIRE_OK(s.aws({"s3", "mb", "s3://firmware"}));
    REQUIRE_OK(
        s.aws({"s3", "cp", s.cli.dir() + "/app_update.bin", "s3://firmware/v2/app_update.bin"}));
    CHECK(s.server->get_object("firmware", "v2/app_update.bin") == image);

    REQUIRE_OK(s.aws({"s3", "cp", "s3://firmware/v2/app_update.bin", s.cli.dir() + "/down.bin"}));
    CHECK(fota::test::read_file(s.cli.dir() + "/down.bin") == image);
    const auto counted = [&] {
        return s.server->counters("firmware", "v2/app_update.bin").bytes_served >= image.size();
    };
    for (int i = 0; i < 5000 && !counted(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2)); // the server's last write
    }
    CHECK(counted());

    const auto ls = s.aws({"s3", "ls", "s3://firmware/v2/"});
    REQUIRE_OK(ls);
    CHECK(ls.out.find("app_update.bin") != std::string::npos);
    CHECK(ls.out.find(std::to_string(image.size())) != std::string::npos);

    REQUIRE_OK(s.aws({"s3", "rm", "s3://firmware/v2/app_update.bin"}));
    CHECK_FALSE(s.server->get_object("firmware", "v2/app_update.bin").has_value());
}

TEST_CASE("aws cli: s3api get-object --range and head-object") {
    S3Stack s;
    const std::string image = firmware(10000);
    s.server->put_object("fw", "app.bin", image);

    const auto ranged = s.aws({"s3api", "get-object", "--bucket", "fw", "--key", "app.bin",
                               "--range", "bytes=100-2147", s.cli.dir() + "/part.bin"});
    REQUIRE_OK(ranged);
    const auto meta = nlohmann::json::parse(ranged.out);
    CHECK(meta["ContentRange"] == "bytes 100-2147/10000");
    CHECK(meta["ContentLength"] == 2048);
    CHECK(meta["AcceptRanges"] == "bytes");
    CHECK(fota::test::read_file(s.cli.dir() + "/part.bin") == image.substr(100, 2048));
    CHECK(s.server->counters("fw", "app.bin").range_requests == 1);

    const auto head = s.aws({"s3api", "head-object", "--bucket", "fw", "--key", "app.bin"});
    REQUIRE_OK(head);
    const auto head_meta = nlohmann::json::parse(head.out);
    CHECK(head_meta["ContentLength"] == 10000);
    CHECK(head_meta["ETag"].get<std::string>().size() == 34);
    CHECK(head_meta.contains("LastModified"));

    const auto past_end = s.aws({"s3api", "get-object", "--bucket", "fw", "--key", "app.bin",
                                 "--range", "bytes=10000-", s.cli.dir() + "/none.bin"});
    CHECK(past_end.exit_code != 0);
    CHECK(past_end.err.find("InvalidRange") != std::string::npos);
}

TEST_CASE("aws cli: S3 errors the CLI understands") {
    S3Stack s;
    s.server->create_bucket("fw");
    auto r = s.aws(
        {"s3api", "get-object", "--bucket", "fw", "--key", "missing.bin", s.cli.dir() + "/x.bin"});
    CHECK(r.exit_code != 0);
    CHECK(r.err.find("NoSuchKey") != std::string::npos);
    r = s.aws(
        {"s3api", "get-object", "--bucket", "nobucket", "--key", "k", s.cli.dir() + "/x.bin"});
    CHECK(r.exit_code != 0);
    CHECK(r.err.find("NoSuchBucket") != std::string::npos);
    r = s.aws({"s3api", "head-object", "--bucket", "fw", "--key", "missing.bin"});
    CHECK(r.exit_code != 0);
    CHECK(r.err.find("404") != std::string::npos);

    // Wrong secret: the server recomputes the signature and refuses it.
    AwsCli wrong(access_key, "not-the-secret");
    r = wrong.run({"s3api", "head-object", "--bucket", "fw", "--key", "missing.bin",
                   "--endpoint-url", s.server->endpoint()});
    CHECK(r.exit_code != 0);
    CHECK(r.err.find("403") != std::string::npos);
    r = wrong.run({"s3api", "get-object", "--bucket", "fw", "--key", "missing.bin",
                   s.cli.dir() + "/x.bin", "--endpoint-url", s.server->endpoint()});
    CHECK(r.err.find("SignatureDoesNotMatch") != std::string::npos);
}

TEST_CASE("aws cli: s3 presign, fetched with libcurl before and after expiry") {
    S3Stack s;
    const std::string image = firmware(4096);
    s.server->put_object("fw", "app.bin", image);
    const auto presign = s.aws({"s3", "presign", "s3://fw/app.bin", "--expires-in", "60"});
    REQUIRE_OK(presign);
    std::string url = presign.out;
    while (!url.empty() && (url.back() == '\n' || url.back() == '\r')) {
        url.pop_back();
    }
    CHECK(url.rfind(s.server->endpoint() + "/fw/app.bin?", 0) == 0);
    CHECK(url.find("X-Amz-Expires=60") != std::string::npos);

    auto r = fota::test::http_request("GET", url);
    CHECK(r.status == 200);
    CHECK(r.body == image);
    r = fota::test::http_request("GET", url, {"Range: bytes=1024-2047"});
    CHECK(r.status == 206);
    CHECK(r.headers.at("content-range") == "bytes 1024-2047/4096");

    s.clock_offset = 61;
    r = fota::test::http_request("GET", url);
    CHECK(r.status == 403);
    CHECK(r.body.find("<Code>AccessDenied</Code>") != std::string::npos);
    CHECK(r.body.find("<Message>Request has expired</Message>") != std::string::npos);
}

TEST_CASE("aws cli: s3 mb and rb; rb of a non-empty bucket is refused, rb --force empties it") {
    S3Stack s;
    REQUIRE_OK(s.aws({"s3", "mb", "s3://scratch-bucket"}));
    auto buckets = s.aws({"s3api", "list-buckets"});
    REQUIRE_OK(buckets);
    CHECK(buckets.out.find("\"scratch-bucket\"") != std::string::npos);
    REQUIRE_OK(s.aws({"s3api", "head-bucket", "--bucket", "scratch-bucket"}));

    auto r = s.aws({"s3", "mb", "s3://Not_A_Bucket"});
    CHECK(r.exit_code != 0);
    CHECK(r.err.find("InvalidBucketName") != std::string::npos);

    s.server->put_object("scratch-bucket", "a.bin", "a");
    s.server->put_object("scratch-bucket", "dir/b.bin", "b");
    r = s.aws({"s3", "rb", "s3://scratch-bucket"});
    CHECK(r.exit_code != 0);
    CHECK(r.err.find("BucketNotEmpty") != std::string::npos);
    CHECK(s.server->get_object("scratch-bucket", "a.bin") == "a");

    REQUIRE_OK(s.aws({"s3", "rb", "s3://scratch-bucket", "--force"}));
    r = s.aws({"s3api", "head-bucket", "--bucket", "scratch-bucket"});
    CHECK(r.exit_code != 0);
    CHECK(r.err.find("404") != std::string::npos);
    r = s.aws({"s3", "rb", "s3://scratch-bucket"});
    CHECK(r.exit_code != 0);
    CHECK(r.err.find("NoSuchBucket") != std::string::npos);
}

namespace {

/// `n` bytes without a short period (a multipart ETag then depends on every part's content).
std::string noise(std::size_t n, std::uint32_t seed) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) {
        seed = seed * 1664525u + 1013904223u;
        s[i] = static_cast<char>(seed >> 24);
    }
    return s;
}

std::string hex_bytes(const std::string& hex) {
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    }
    return out;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

} // namespace

TEST_CASE("aws cli: s3 cp of a 20 MiB file goes multipart; the copy down has the same SHA-256") {
    namespace http = fota::cloud::http;
    S3Stack s;
    const std::size_t size = 20 * 1024 * 1024;
    const std::size_t part = 8 * 1024 * 1024; // the CLI's multipart_chunksize and threshold
    const std::string image = noise(size, 20);
    fota::test::write_file(s.cli.dir() + "/big.bin", image);
    REQUIRE_OK(s.aws({"s3", "mb", "s3://firmware"}));

    auto start = std::chrono::steady_clock::now();
    REQUIRE_OK(s.aws({"s3", "cp", s.cli.dir() + "/big.bin", "s3://firmware/big.bin"}));
    const double up = seconds_since(start);
    REQUIRE(s.server->get_object("firmware", "big.bin") == image);

    // S3's multipart ETag: MD5 of the parts' binary MD5s, then "-<parts>".
    std::string md5s;
    for (std::size_t at = 0; at < size; at += part) {
        md5s += hex_bytes(http::md5_hex(std::string_view(image).substr(at, part)));
    }
    const auto head = s.aws({"s3api", "head-object", "--bucket", "firmware", "--key", "big.bin"});
    REQUIRE_OK(head);
    const auto meta = nlohmann::json::parse(head.out);
    CHECK(meta["ETag"] == "\"" + http::md5_hex(md5s) + "-3\"");
    CHECK(meta["ContentLength"] == size);

    start = std::chrono::steady_clock::now();
    REQUIRE_OK(s.aws({"s3", "cp", "s3://firmware/big.bin", s.cli.dir() + "/big.down"}));
    const double down = seconds_since(start);
    CHECK(http::sha256_hex(fota::test::read_file(s.cli.dir() + "/big.down")) ==
          http::sha256_hex(image));
    CHECK(s.server->counters("firmware", "big.bin").range_requests >= 3);
    std::printf("figure: aws s3 cp of 20 MiB: up %.2f s (multipart), down %.2f s (ranged)\n", up,
                down);
}

TEST_CASE("aws cli: s3api multipart calls, abort, and the errors of a bad completion") {
    S3Stack s;
    s.server->create_bucket("fw");
    const std::string dir = s.cli.dir();
    const auto create = s.aws({"s3api", "create-multipart-upload", "--bucket", "fw", "--key", "m"});
    REQUIRE_OK(create);
    const std::string upload_id = nlohmann::json::parse(create.out)["UploadId"];
    fota::test::write_file(dir + "/p1", noise(5 * 1024 * 1024, 1));
    fota::test::write_file(dir + "/p2", "tail");
    std::string etags[2];
    for (int i = 0; i < 2; ++i) {
        const auto r = s.aws({"s3api", "upload-part", "--bucket", "fw", "--key", "m", "--upload-id",
                              upload_id, "--part-number", std::to_string(i + 1), "--body",
                              dir + "/p" + std::to_string(i + 1)});
        REQUIRE_OK(r);
        etags[i] = nlohmann::json::parse(r.out)["ETag"];
    }
    const auto parts =
        s.aws({"s3api", "list-parts", "--bucket", "fw", "--key", "m", "--upload-id", upload_id});
    REQUIRE_OK(parts);
    CHECK(nlohmann::json::parse(parts.out)["Parts"].size() == 2);

    const auto complete = [&](const nlohmann::json& list) {
        fota::test::write_file(dir + "/parts.json", nlohmann::json{{"Parts", list}}.dump());
        return s.aws({"s3api", "complete-multipart-upload", "--bucket", "fw", "--key", "m",
                      "--upload-id", upload_id, "--multipart-upload",
                      "file://" + dir + "/parts.json"});
    };
    const nlohmann::json first = {{"PartNumber", 1}, {"ETag", etags[0]}};
    const nlohmann::json second = {{"PartNumber", 2}, {"ETag", etags[1]}};
    auto r = complete(nlohmann::json::array({second, first}));
    CHECK(r.exit_code != 0);
    INFO("stderr: " << r.err);
    CHECK(r.err.find("InvalidPartOrder") != std::string::npos);
    r = complete(nlohmann::json::array({first, {{"PartNumber", 2}, {"ETag", etags[0]}}}));
    CHECK(r.exit_code != 0);
    CHECK(r.err.find("InvalidPart") != std::string::npos);
    CHECK_FALSE(s.server->get_object("fw", "m").has_value());
    REQUIRE_OK(complete(nlohmann::json::array({first, second})));
    CHECK(s.server->get_object("fw", "m") == noise(5 * 1024 * 1024, 1) + "tail");

    const auto again = s.aws({"s3api", "create-multipart-upload", "--bucket", "fw", "--key", "n"});
    REQUIRE_OK(again);
    const std::string aborted_id = nlohmann::json::parse(again.out)["UploadId"];
    REQUIRE_OK(s.aws({"s3api", "abort-multipart-upload", "--bucket", "fw", "--key", "n",
                      "--upload-id", aborted_id}));
    r = s.aws({"s3api", "upload-part", "--bucket", "fw", "--key", "n", "--upload-id", aborted_id,
               "--part-number", "1", "--body", dir + "/p2"});
    CHECK(r.exit_code != 0);
    CHECK(r.err.find("NoSuchUpload") != std::string::npos);
}

TEST_CASE("aws cli: list-objects-v2 pages with continuation tokens; s3 ls over several pages") {
    S3Stack s;
    std::vector<std::string> keys;
    for (int i = 0; i < 25; ++i) {
        keys.push_back("fw/img-" + std::string(i < 10 ? "0" : "") + std::to_string(i) + ".bin");
    }
    for (const char* dir : {"fw/a/", "fw/b/"}) {
        for (int i = 0; i < 5; ++i) {
            keys.push_back(dir + std::to_string(i));
        }
    }
    for (const auto& key : keys) {
        s.server->put_object("pages", key, key);
    }
    std::sort(keys.begin(), keys.end());

    std::vector<std::string> listed;
    std::string token;
    int pages = 0;
    while (true) {
        std::vector<std::string> args{"s3api", "list-objects-v2", "--bucket", "pages", "--max-keys",
                                      "10",    "--no-paginate"};
        if (!token.empty()) {
            args.insert(args.end(), {"--continuation-token", token});
        }
        const auto r = s.aws(args);
        REQUIRE_OK(r);
        const auto page = nlohmann::json::parse(r.out);
        ++pages;
        REQUIRE(pages <= 4);
        CHECK(page["KeyCount"] == page["Contents"].size());
        for (const auto& object : page["Contents"]) {
            listed.push_back(object["Key"]);
        }
        if (!page["IsTruncated"].get<bool>()) {
            CHECK_FALSE(page.contains("NextContinuationToken"));
            break;
        }
        CHECK(page["Contents"].size() == 10);
        token = page["NextContinuationToken"];
    }
    CHECK(pages == 4);
    CHECK(listed == keys);

    // The CLI follows the tokens itself: 35 keys in pages of 4.
    const auto all = s.aws({"s3api", "list-objects-v2", "--bucket", "pages", "--page-size", "4"});
    REQUIRE_OK(all);
    CHECK(nlohmann::json::parse(all.out)["Contents"].size() == keys.size());

    // s3 ls with a delimiter: one PRE line per common prefix, even where a page ends inside it.
    const auto ls = s.aws({"s3", "ls", "s3://pages/fw/", "--page-size", "3"});
    REQUIRE_OK(ls);
    const auto count = [&](const std::string& needle) {
        std::size_t n = 0;
        for (auto at = ls.out.find(needle); at != std::string::npos;
             at = ls.out.find(needle, at + 1)) {
            ++n;
        }
        return n;
    };
    CHECK(count("PRE a/") == 1);
    CHECK(count("PRE b/") == 1);
    CHECK(count(".bin\n") == 25);
    const auto recursive = s.aws({"s3", "ls", "s3://pages/", "--recursive", "--page-size", "7"});
    REQUIRE_OK(recursive);
    for (const auto& key : keys) {
        CHECK(recursive.out.find(key + "\n") != std::string::npos);
    }
}
