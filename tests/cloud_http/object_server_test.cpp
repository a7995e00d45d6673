// The object server through real HTTP on loopback (libcurl as the client).
#include "common/tcp_nodelay.hpp"
#include "http_client.hpp"

#include "fota/cloud/http/sigv4.hpp"
#include "fota/cloud/object_server.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <filesystem>
#include <optional>
#include <thread>

using fota::cloud::ObjectFault;
using fota::cloud::ObjectServer;
using fota::cloud::ObjectServerConfig;
using fota::test::http_request;
namespace http = fota::cloud::http;

namespace {

/// A server on a free port with its own io thread and a clock the test can move.
struct Harness {
    explicit Harness(ObjectServerConfig config = {}) {
        config.clock = [this] {
            return std::chrono::system_clock::now() + std::chrono::seconds(clock_offset.load());
        };
        server = std::make_unique<ObjectServer>(io, std::move(config));
        server->start();
        thread = std::thread([this] { io.run(); });
    }
    ~Harness() {
        server->stop();
        guard.reset();
        io.stop();
        thread.join();
    }
    std::string url(const std::string& path) const { return server->endpoint() + path; }

    std::atomic<long long> clock_offset{0};
    boost::asio::io_context io;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard{
        io.get_executor()};
    std::unique_ptr<ObjectServer> server;
    std::thread thread;
};

std::string pattern(std::size_t n) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) {
        s[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
    }
    return s;
}

/// Waits (up to 10 s) until done() holds: the server records a response's end after its last
/// write completes, which may be just after the client has read everything.
template <typename F>
bool eventually(F done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return true;
}

/// Sends raw bytes and reads until the server closes (for what libcurl would normalise).
std::string raw_exchange(std::uint16_t port, const std::string& request) {
    namespace net = boost::asio;
    net::io_context io;
    net::ip::tcp::socket socket(io);
    socket.connect({net::ip::make_address("127.0.0.1"), port});
    net::write(socket, net::buffer(request));
    std::string reply;
    boost::system::error_code ec;
    char buf[4096];
    while (!ec) {
        const auto n = socket.read_some(net::buffer(buf), ec);
        reply.append(buf, n);
    }
    return reply;
}

/// A fault of `kind` for the next `count` requests (-1: until cleared); the caller sets the rest.
ObjectFault fault(ObjectFault::Kind kind, int count) {
    ObjectFault f;
    f.kind = kind;
    f.count = count;
    return f;
}

/// GETs `url` and says how long the whole answer took.
std::pair<fota::test::HttpResult, std::chrono::steady_clock::duration>
timed_get(const std::string& url) {
    const auto start = std::chrono::steady_clock::now();
    auto result = http_request("GET", url);
    return {std::move(result), std::chrono::steady_clock::now() - start};
}

const http::Credentials test_credentials{"AKIDFOTATEST", "fota-test-secret", ""};

} // namespace

TEST_CASE("object server: Nagle off on its connections (a body must not wait for an ACK)") {
    // A response is its head, then its body, written apart: with Nagle on, the body waited for
    // the client's delayed ACK of the head, about 40 ms per 4 KiB Range request.
    Harness h;
    namespace net = boost::asio;
    net::io_context io;
    net::ip::tcp::socket client(io);
    client.connect({net::ip::make_address("127.0.0.1"), h.server->port()});
    const std::uint16_t client_port = client.local_endpoint().port();
    std::optional<bool> nodelay;
    CHECK(eventually([&] {
        const std::vector<bool> found = fota::test::nodelay_of_sockets_with_peer(client_port);
        nodelay = found.empty() ? std::nullopt : std::optional<bool>(found.front());
        return nodelay.value_or(false);
    }));
    INFO("the server's side of the connection " << (nodelay ? "was found" : "was not found"));
    CHECK(nodelay == std::optional<bool>(true));
}

TEST_CASE("object server: PUT, GET, HEAD, DELETE over HTTP") {
    Harness h;
    REQUIRE(h.server->port() != 0);
    CHECK(http_request("PUT", h.url("/firmware")).status == 200);
    const std::string image = pattern(5000);
    const auto put = http_request("PUT", h.url("/firmware/app%20v2.bin"),
                                  {"Content-Type: application/octet-stream"}, image);
    REQUIRE(put.status == 200);
    CHECK(put.headers.at("etag").size() == 34);
    CHECK(h.server->get_object("firmware", "app v2.bin") == image);

    const auto get = http_request("GET", h.url("/firmware/app%20v2.bin"));
    CHECK(get.status == 200);
    CHECK(get.body == image);
    CHECK(get.headers.at("content-length") == "5000");
    CHECK(get.headers.at("accept-ranges") == "bytes");
    CHECK(get.headers.at("etag") == put.headers.at("etag"));
    CHECK(get.headers.count("last-modified") == 1);
    CHECK(get.headers.count("content-range") == 0);

    const auto head = http_request("HEAD", h.url("/firmware/app%20v2.bin"));
    CHECK(head.code == CURLE_OK);
    CHECK(head.status == 200);
    CHECK(head.headers.at("content-length") == "5000");
    CHECK(head.body.empty());

    const auto list = http_request("GET", h.url("/firmware?list-type=2"));
    CHECK(list.status == 200);
    CHECK(list.body.find("<Key>app v2.bin</Key>") != std::string::npos);
    CHECK(list.body.find("<Size>5000</Size>") != std::string::npos);

    CHECK(http_request("DELETE", h.url("/firmware/app%20v2.bin")).status == 204);
    CHECK(http_request("GET", h.url("/firmware/app%20v2.bin")).status == 404);
}

TEST_CASE("object server: Range requests") {
    Harness h;
    const std::string image = pattern(1000);
    h.server->put_object("b1", "fw.bin", image);
    auto get_range = [&](const std::string& range) {
        return http_request("GET", h.url("/b1/fw.bin"), {"Range: " + range});
    };
    auto r = get_range("bytes=0-9");
    CHECK(r.status == 206);
    CHECK(r.body == image.substr(0, 10));
    CHECK(r.headers.at("content-range") == "bytes 0-9/1000");
    CHECK(r.headers.at("content-length") == "10");

    r = get_range("bytes=990-2000");
    CHECK(r.status == 206);
    CHECK(r.body == image.substr(990));
    CHECK(r.headers.at("content-range") == "bytes 990-999/1000");

    r = get_range("bytes=500-");
    CHECK(r.status == 206);
    CHECK(r.body == image.substr(500));

    r = get_range("bytes=-100");
    CHECK(r.status == 206);
    CHECK(r.headers.at("content-range") == "bytes 900-999/1000");

    r = get_range("bytes=1000-");
    CHECK(r.status == 416);
    CHECK(r.headers.at("content-range") == "bytes */1000");
    CHECK(r.body.find("<Code>InvalidRange</Code>") != std::string::npos);
    CHECK(r.body.find("<ActualObjectSize>1000</ActualObjectSize>") != std::string::npos);

    r = get_range("bytes=5-1"); // unusable: S3 ignores it
    CHECK(r.status == 200);
    CHECK(r.body == image);

    CHECK(eventually([&] { return h.server->counters("b1", "fw.bin").complete_responses == 5; }));
    const auto c = h.server->counters("b1", "fw.bin");
    CHECK(c.get_requests == 6);
    CHECK(c.range_requests == 6);
    CHECK(c.error_responses == 1);
    CHECK(c.bytes_served == 10 + 10 + 500 + 100 + 1000);
    CHECK(c.complete_responses == 5);
}

TEST_CASE("object server: S3 XML errors for missing buckets and keys") {
    Harness h;
    h.server->create_bucket("present");
    auto r = http_request("GET", h.url("/present/nope.bin"));
    CHECK(r.status == 404);
    CHECK(r.headers.at("content-type") == "application/xml");
    CHECK(r.body.find("<Code>NoSuchKey</Code>") != std::string::npos);
    CHECK(r.body.find("<Key>nope.bin</Key>") != std::string::npos);
    r = http_request("GET", h.url("/absent/x.bin"));
    CHECK(r.status == 404);
    CHECK(r.body.find("<Code>NoSuchBucket</Code>") != std::string::npos);
    CHECK(r.body.find("<BucketName>absent</BucketName>") != std::string::npos);
    r = http_request("PUT", h.url("/absent/x.bin"), {}, "data");
    CHECK(r.status == 404);
    CHECK(r.body.find("<Code>NoSuchBucket</Code>") != std::string::npos);
    r = http_request("HEAD", h.url("/present/nope.bin"));
    CHECK(r.status == 404);
    CHECK(r.body.empty());
    r = http_request("GET", h.url("/present/bad%zzkey"));
    CHECK(r.status == 400);
    CHECK(r.body.find("<Code>InvalidURI</Code>") != std::string::npos);
    r = http_request("POST", h.url("/present/k"), {}, "x");
    CHECK(r.status == 405);
}

TEST_CASE("object server: presigned URLs expire (no credentials configured)") {
    Harness h;
    h.server->put_object("fw", "image.bin", "0123456789");
    const std::string url = h.server->presign_get("fw", "image.bin", std::chrono::seconds(60));
    CHECK(url.find("X-Amz-Expires=60") != std::string::npos);
    auto r = http_request("GET", url, {"Range: bytes=2-5"});
    CHECK(r.status == 206);
    CHECK(r.body == "2345");
    h.clock_offset = 61;
    r = http_request("GET", url);
    CHECK(r.status == 403);
    CHECK(r.body.find("<Code>AccessDenied</Code>") != std::string::npos);
    CHECK(r.body.find("<Message>Request has expired</Message>") != std::string::npos);
    CHECK(r.body.find("<X-Amz-Expires>60</X-Amz-Expires>") != std::string::npos);
    // Without credentials configured a plain GET is allowed.
    CHECK(http_request("GET", h.url("/fw/image.bin")).status == 200);
}

TEST_CASE("object server: SigV4 verified when credentials are configured") {
    ObjectServerConfig config;
    config.credentials = test_credentials;
    Harness h(config);
    h.server->put_object("fw", "image.bin", "0123456789");

    SECTION("presigned URL: valid, tampered, expired") {
        const std::string url = h.server->presign_get("fw", "image.bin", std::chrono::seconds(30));
        CHECK(http_request("GET", url).status == 200);
        std::string tampered = url;
        tampered.back() = tampered.back() == '0' ? '1' : '0';
        auto r = http_request("GET", tampered);
        CHECK(r.status == 403);
        CHECK(r.body.find("<Code>SignatureDoesNotMatch</Code>") != std::string::npos);
        h.clock_offset = 31;
        r = http_request("GET", url);
        CHECK(r.status == 403);
        CHECK(r.body.find("Request has expired") != std::string::npos);
    }
    SECTION("anonymous and unknown keys are refused") {
        auto r = http_request("GET", h.url("/fw/image.bin"));
        CHECK(r.status == 403);
        CHECK(r.body.find("<Code>AccessDenied</Code>") != std::string::npos);
        http::PresignRequest pr;
        pr.host = "127.0.0.1:" + std::to_string(h.server->port());
        pr.path = "/fw/image.bin";
        pr.now = std::chrono::system_clock::now();
        r = http_request("GET", http::presign_url(pr, {"AKIDOTHER", "x", ""}));
        CHECK(r.status == 403);
        CHECK(r.body.find("<Code>InvalidAccessKeyId</Code>") != std::string::npos);
    }
    SECTION("header authentication") {
        http::SigV4Request req{
            "GET",
            "/fw/image.bin",
            {{"Host", "127.0.0.1:" + std::to_string(h.server->port())}, {"Range", "bytes=0-3"}},
            ""};
        http::sign_request(req, test_credentials, "us-east-1", "s3",
                           std::chrono::system_clock::now());
        std::vector<std::string> lines;
        for (const auto& hd : req.headers) {
            lines.push_back(hd.name + ": " + hd.value);
        }
        auto r = http_request("GET", h.url("/fw/image.bin"), lines);
        CHECK(r.status == 206);
        CHECK(r.body == "0123");
        h.clock_offset = 3600; // the server's clock is an hour ahead: too skewed
        r = http_request("GET", h.url("/fw/image.bin"), lines);
        CHECK(r.status == 403);
        CHECK(r.body.find("<Code>RequestTimeTooSkewed</Code>") != std::string::npos);
    }
}

TEST_CASE("object server: fault knobs through the C++ API") {
    Harness h;
    const std::string image = pattern(20000);
    h.server->put_object("fw", "a.bin", image);
    const std::string url = h.url("/fw/a.bin");

    SECTION("close the connection after N body bytes, once") {
        auto f = fault(ObjectFault::Kind::close_after_bytes, 1);
        f.bytes = 1234;
        h.server->add_fault(f);
        auto r = http_request("GET", url);
        CHECK(r.code == CURLE_PARTIAL_FILE);
        CHECK(r.body == image.substr(0, 1234));
        r = http_request("GET", url);
        CHECK(r.code == CURLE_OK);
        CHECK(r.body == image);
        CHECK(eventually([&] {
            const auto now = h.server->counters("fw", "a.bin");
            return now.complete_responses + now.aborted_responses == 2;
        }));
        const auto c = h.server->counters("fw", "a.bin");
        CHECK(c.aborted_responses == 1);
        CHECK(c.complete_responses == 1);
        CHECK(c.bytes_served == 1234 + 20000);
        CHECK(h.server->faults().empty());
    }
    SECTION("5xx / SlowDown for the next K requests") {
        auto f = fault(ObjectFault::Kind::error_status, 2);
        f.status = 503;
        h.server->add_fault(f);
        for (int i = 0; i < 2; ++i) {
            const auto r = http_request("GET", url);
            CHECK(r.status == 503);
            CHECK(r.body.find("<Code>SlowDown</Code>") != std::string::npos);
        }
        f.status = 500;
        f.count = 1;
        h.server->add_fault(f);
        auto r = http_request("GET", url);
        CHECK(r.status == 500);
        CHECK(r.body.find("<Code>InternalError</Code>") != std::string::npos);
        r = http_request("GET", url);
        CHECK(r.status == 200);
        CHECK(h.server->counters("fw", "a.bin").error_responses == 3);
    }
    SECTION("ignore Range") {
        auto f = fault(ObjectFault::Kind::ignore_range, -1);
        f.key = "a.bin";
        h.server->add_fault(f);
        const auto r = http_request("GET", url, {"Range: bytes=100-199"});
        CHECK(r.status == 200);
        CHECK(r.body == image);
        CHECK(r.headers.count("content-range") == 0);
    }
    SECTION("wrong Content-Range: shifted or literal") {
        auto f = fault(ObjectFault::Kind::wrong_content_range, 1);
        f.shift = -100;
        h.server->add_fault(f);
        auto r = http_request("GET", url, {"Range: bytes=100-199"});
        CHECK(r.status == 206);
        CHECK(r.headers.at("content-range") == "bytes 0-99/20000");
        CHECK(r.body == image.substr(100, 100));
        f.shift = 0;
        f.content_range = "bytes */20000";
        h.server->add_fault(f);
        r = http_request("GET", url, {"Range: bytes=100-199"});
        CHECK(r.headers.at("content-range") == "bytes */20000");
        r = http_request("GET", url, {"Range: bytes=100-199"});
        CHECK(r.headers.at("content-range") == "bytes 100-199/20000");
    }
    SECTION("wrong Content-Range: one part of the true range wrong") {
        auto f = fault(ObjectFault::Kind::wrong_content_range, 1);
        const std::vector<std::pair<std::string, std::string>> cases{
            {"start", "bytes 101-199/20000"},
            {"end", "bytes 100-198/20000"},
            {"total", "bytes 100-199/20001"},
            {"star_total", "bytes 100-199/*"}};
        for (const auto& [mismatch, expected] : cases) {
            f.mismatch = mismatch;
            h.server->add_fault(f);
            const auto r = http_request("GET", url, {"Range: bytes=100-199"});
            CHECK(r.status == 206);
            CHECK(r.headers.at("content-range") == expected);
            CHECK(r.body == image.substr(100, 100));
        }
        const auto parsed = fota::cloud::parse_object_fault(
            R"({"kind":"wrong_content_range","mismatch":"middle"})");
        REQUIRE(std::holds_alternative<std::string>(parsed));
        CHECK(std::get<std::string>(parsed).find("valid: start, end, total, star_total") !=
              std::string::npos);
    }
    SECTION("from_byte: range faults wait for a range that starts there or later") {
        for (const char* json :
             {R"({"kind":"ignore_range","count":1,"from_byte":8192})",
              R"({"kind":"wrong_content_range","mismatch":"start","count":1,"from_byte":8192})"}) {
            const auto parsed = fota::cloud::parse_object_fault(json);
            REQUIRE(std::holds_alternative<ObjectFault>(parsed));
            CHECK(nlohmann::json::parse(fota::cloud::object_fault_json(
                      std::get<ObjectFault>(parsed)))["from_byte"] == 8192);
            h.server->add_fault(std::get<ObjectFault>(parsed));
        }
        // Before from_byte, and without a range, the faults wait.
        auto r = http_request("GET", url, {"Range: bytes=4096-8191"});
        CHECK(r.status == 206);
        CHECK(r.headers.at("content-range") == "bytes 4096-8191/20000");
        CHECK(http_request("GET", url).body == image);
        CHECK(h.server->faults().size() == 2);
        // The first range at from_byte is ignored, the next one is answered with a wrong start.
        r = http_request("GET", url, {"Range: bytes=8192-12287"});
        CHECK(r.status == 200);
        CHECK(r.body == image);
        r = http_request("GET", url, {"Range: bytes=12288-16383"});
        CHECK(r.status == 206);
        CHECK(r.headers.at("content-range") == "bytes 12289-16383/20000");
        CHECK(h.server->faults().empty());
        const auto refused = fota::cloud::parse_object_fault(
            R"({"kind":"throttle","bytes_per_second":10,"from_byte":1})");
        REQUIRE(std::holds_alternative<std::string>(refused));
        CHECK(std::get<std::string>(refused).find("ignore_range and wrong_content_range only") !=
              std::string::npos);
    }
    SECTION("refuse connections: the next count connections are reset, then served") {
        auto f = fault(ObjectFault::Kind::refuse_connections, 2);
        h.server->add_fault(f);
        CHECK(http_request("GET", url).code != CURLE_OK);
        CHECK(http_request("GET", url).code != CURLE_OK);
        const auto r = http_request("GET", url);
        CHECK(r.code == CURLE_OK);
        CHECK(r.body == image);
        CHECK(std::holds_alternative<ObjectFault>(
            fota::cloud::parse_object_fault(R"({"kind":"refuse_connections","count":3})")));
    }
    SECTION("stall: the client gives up while the server sends nothing") {
        auto f = fault(ObjectFault::Kind::stall, 1);
        f.bytes = 100;
        f.duration = std::chrono::seconds(30);
        h.server->add_fault(f);
        const auto r = http_request("GET", url, {}, {}, 700);
        CHECK(r.code == CURLE_OPERATION_TIMEDOUT);
        CHECK(r.body == image.substr(0, 100));
        CHECK(http_request("GET", url).body == image);
    }
    SECTION("stall, then the rest of the body") {
        auto f = fault(ObjectFault::Kind::stall, 1);
        f.bytes = 100;
        f.duration = std::chrono::milliseconds(300);
        h.server->add_fault(f);
        const auto [r, took] = timed_get(url);
        CHECK(r.body == image);
        CHECK(took >= std::chrono::milliseconds(300));
    }
    SECTION("throttle: the body arrives intact, no faster than the rate") {
        auto f = fault(ObjectFault::Kind::throttle, 1);
        f.bytes_per_second = 50000;
        h.server->add_fault(f);
        const auto [r, took] = timed_get(url);
        CHECK(r.body == image);
        // 20000 bytes at 50000 B/s: the last chunk is due after 0.35 s at the earliest.
        CHECK(took >= std::chrono::milliseconds(350));
    }
    SECTION("Connection: close, redirect, a long header, lower-case header names") {
        auto f = fault(ObjectFault::Kind::connection_close, 1);
        h.server->add_fault(f);
        auto r = http_request("GET", url);
        CHECK(r.headers.at("connection") == "close");
        CHECK(r.body == image);

        f.kind = ObjectFault::Kind::redirect;
        f.status = 307;
        f.location = "/fw/b.bin";
        h.server->add_fault(f);
        r = http_request("GET", url);
        CHECK(r.status == 307);
        CHECK(r.headers.at("location") == "/fw/b.bin");

        f.kind = ObjectFault::Kind::long_header;
        f.bytes = 3000;
        h.server->add_fault(f);
        r = http_request("GET", url, {"Range: bytes=0-9"});
        CHECK(r.headers.at("x-fota-padding").size() == 3000);
        CHECK(r.body == image.substr(0, 10));

        f.kind = ObjectFault::Kind::lowercase_headers;
        h.server->add_fault(f);
        const std::string raw =
            raw_exchange(h.server->port(), "GET /fw/a.bin HTTP/1.1\r\nHost: x\r\nRange: "
                                           "bytes=0-9\r\nConnection: close\r\n\r\n");
        CHECK(raw.find("\r\ncontent-range: bytes 0-9/20000\r\n") != std::string::npos);
        CHECK(raw.find("Content-Range") == std::string::npos);
        CHECK(raw.substr(raw.size() - 10) == image.substr(0, 10));
        CHECK(h.server->faults().empty());
    }
    SECTION("replace the object's bytes between requests") {
        const auto first = http_request("GET", url, {"Range: bytes=0-99"});
        h.server->put_object("fw", "a.bin", std::string(20000, 'Z'));
        const auto second = http_request("GET", url, {"Range: bytes=100-199"});
        CHECK(first.body == image.substr(0, 100));
        CHECK(second.body == std::string(100, 'Z'));
        CHECK(first.headers.at("etag") != second.headers.at("etag"));
    }
}

TEST_CASE("object server: control HTTP API") {
    Harness h;
    const std::string control = h.url("/_fota");
    CHECK(http_request("GET", control + "/health").body == R"({"ok":true})");
    auto r = http_request("PUT", control + "/objects/fw/dir/b.bin", {}, "hello world");
    CHECK(r.status == 200);
    CHECK(h.server->get_object("fw", "dir/b.bin") == "hello world");

    r = http_request("POST", control + "/faults", {"Content-Type: application/json"},
                     R"({"kind":"close_after_bytes","bytes":5,"count":1,"key":"dir/b.bin"})");
    CHECK(r.status == 200);
    REQUIRE(h.server->faults().size() == 1);
    CHECK(h.server->faults()[0].bytes == 5);
    r = http_request("GET", h.url("/fw/dir/b.bin"));
    CHECK(r.body == "hello");

    r = http_request("POST", control + "/faults", {},
                     R"({"faults":[{"kind":"throttle","bytes_per_second":1000},)"
                     R"({"kind":"stall","seconds":0.5,"bytes":3}]})");
    CHECK(r.status == 200);
    CHECK(nlohmann::json::parse(r.body)["faults"].size() == 2);
    CHECK(http_request("DELETE", control + "/faults").status == 200);
    CHECK(h.server->faults().empty());

    // A redirect's status is a 3xx (the status range of error_status, 400-599, refused it).
    r = http_request("POST", control + "/faults", {},
                     R"({"kind":"redirect","location":"/fw/a.bin","status":307,"count":1})");
    CHECK(r.status == 200);
    REQUIRE(h.server->faults().size() == 1);
    CHECK(h.server->faults()[0].status == 307);
    CHECK(http_request("DELETE", control + "/faults").status == 200);

    for (const char* bad :
         {R"(not json)", R"({"kind":"explode"})", R"({"kind":"throttle"})",
          R"({"kind":"close_after_bytes","bytes":-1})", R"({"kind":"error_status","status":200})",
          R"({"kind":"ignore_range","colour":"red"})", R"({"kind":"stall","count":0,"seconds":1})",
          R"({"kind":"redirect"})", R"({"kind":"redirect","location":"/x","status":200})",
          R"({"kind":"long_header","bytes":0})", R"({"kind":"error_status","status":302})",
          R"([1,2])"}) {
        r = http_request("POST", control + "/faults", {}, bad);
        CHECK(r.status == 400);
        CHECK(nlohmann::json::parse(r.body)["message"].get<std::string>().rfind("fault", 0) == 0);
    }
    CHECK(h.server->faults().empty());

    http_request("GET", h.url("/fw/dir/b.bin"), {"Range: bytes=0-1"});
    CHECK(eventually([&] {
        const auto c = h.server->counters("fw", "dir/b.bin");
        return c.complete_responses + c.aborted_responses == 2;
    }));
    r = http_request("GET", control + "/counters");
    const auto counters = nlohmann::json::parse(r.body);
    CHECK(counters["objects"]["fw/dir/b.bin"]["get_requests"] == 2);
    CHECK(counters["objects"]["fw/dir/b.bin"]["range_requests"] == 1);
    CHECK(counters["objects"]["fw/dir/b.bin"]["bytes_served"] == 7);
    CHECK(counters["total"]["put_requests"] == 1);
    CHECK(http_request("DELETE", control + "/counters").status == 200);
    CHECK(h.server->total_counters().requests == 0);

    r = http_request("POST", control + "/presign", {},
                     R"({"bucket":"fw","key":"dir/b.bin","expires":120})");
    CHECK(r.status == 200);
    const std::string url = nlohmann::json::parse(r.body)["url"];
    CHECK(http_request("GET", url).body == "hello world");
    CHECK(http_request("GET", control + "/nothing").status == 404);
    // Found by fuzzing: invalid UTF-8 echoed into a JSON error threw inside the handler.
    r = http_request("GET", control + "/f%FF%FEx\xff");
    CHECK(r.status == 404);
    CHECK(nlohmann::json::parse(r.body).contains("message"));
}

TEST_CASE("object server: bad requests get an answer and the server keeps serving") {
    Harness h;
    h.server->put_object("fw", "a.bin", "abc");
    const std::string reply = raw_exchange(h.server->port(), "THIS IS NOT HTTP\r\n\r\n");
    CHECK(reply.rfind("HTTP/1.1 400", 0) == 0);

    ObjectServerConfig small;
    small.max_object_size = 1000;
    Harness limited(small);
    limited.server->create_bucket("fw");
    const auto r = http_request("PUT", limited.url("/fw/big.bin"), {}, std::string(5000, 'x'));
    CHECK(r.status == 400);
    CHECK(r.body.find("EntityTooLarge") != std::string::npos);
    CHECK(http_request("GET", h.url("/fw/a.bin")).body == "abc");
}

TEST_CASE("object server: large upload with Expect: 100-continue, Content-MD5 checked") {
    Harness h;
    h.server->create_bucket("fw");
    const std::string big = pattern(3 * 1024 * 1024);
    auto r = http_request("PUT", h.url("/fw/big.bin"), {"Expect: 100-continue"}, big);
    CHECK(r.status == 200);
    CHECK(h.server->get_object("fw", "big.bin") == big);
    r = http_request("PUT", h.url("/fw/small.bin"), {"Content-MD5: XrY7u+Ae7tCTyyK7j1rNww=="},
                     "hello world");
    CHECK(r.status == 200);
    r = http_request("PUT", h.url("/fw/small.bin"), {"Content-MD5: XrY7u+Ae7tCTyyK7j1rNww=="},
                     "hello worlD");
    CHECK(r.status == 400);
    CHECK(r.body.find("<Code>BadDigest</Code>") != std::string::npos);
    CHECK(h.server->get_object("fw", "small.bin") == "hello world");
}

TEST_CASE("object server: aws-chunked bodies are decoded") {
    CHECK(fota::cloud::parse_object_fault("{}").index() == 1);
    Harness h;
    h.server->create_bucket("fw");
    const std::string body = "5;chunk-signature=abc\r\nhello\r\n6\r\n world\r\n0\r\n"
                             "x-amz-checksum-crc32:AAAA\r\n\r\n";
    const auto r = http_request("PUT", h.url("/fw/c.bin"),
                                {"x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER",
                                 "Content-Encoding: aws-chunked"},
                                body);
    CHECK(r.status == 200);
    CHECK(h.server->get_object("fw", "c.bin") == "hello world");
    const auto bad =
        http_request("PUT", h.url("/fw/d.bin"),
                     {"x-amz-content-sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER"}, "zz\r\nhello");
    CHECK(bad.status == 400);
}
