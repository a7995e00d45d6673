// The real AWS CLI against the object server: uploads, downloads, ranged gets, head-object,
// errors, and a presigned URL before and after expiry. The server verifies every SigV4
// signature the CLI makes, so these tests also cross-check our SigV4 against botocore's.
#include "aws_cli_runner.hpp"
#include "http_client.hpp"

#include "fota/cloud/object_server.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
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
