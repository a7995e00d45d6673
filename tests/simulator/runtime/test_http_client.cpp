// The libcurl-on-Asio HTTP client against a real HTTP server: Range requests over one reused
// connection, POST, transport failures, cancel and pause.
#include "fota/sim/curl_http_client.hpp"
#include "support/range_http_server.hpp"
#include "support/test_support.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/post.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

using namespace fota::sim;
using fota::sim::test::RangeHttpServer;
using fota::sim::test::run_until;

namespace {

std::string make_blob(std::size_t size) {
    std::string blob(size, '\0');
    std::uint32_t state = 12345;
    for (auto& byte : blob) {
        state = state * 1103515245u + 12345u;
        byte = static_cast<char>(state >> 24);
    }
    return blob;
}

// Everything one request reported, in order.
struct Outcome {
    std::vector<std::string> trace; // "status 206", "header Content-Range: ...", "done", ...
    std::vector<int> statuses;
    std::string body;
    std::string content_range;
    bool done = false;
    bool failed = false;
    HttpFailure failure = HttpFailure::Other;
    bool finished() const { return done || failed; }
};

HttpHandlers record(Outcome& outcome) {
    HttpHandlers handlers;
    handlers.on_status = [&outcome](int status) {
        outcome.statuses.push_back(status);
        outcome.trace.push_back("status");
    };
    handlers.on_header = [&outcome](std::string_view name, std::string_view value) {
        if (name == "Content-Range") {
            outcome.content_range = std::string(value);
        }
        outcome.trace.push_back("header");
    };
    handlers.on_body = [&outcome](std::span<const std::uint8_t> chunk) {
        outcome.body.append(reinterpret_cast<const char*>(chunk.data()), chunk.size());
        outcome.trace.push_back("body");
    };
    handlers.on_done = [&outcome] {
        outcome.done = true;
        outcome.trace.push_back("done");
    };
    handlers.on_error = [&outcome](HttpFailure failure, std::string_view) {
        outcome.failed = true;
        outcome.failure = failure;
        outcome.trace.push_back("error");
    };
    return handlers;
}

} // namespace

TEST_CASE("Range requests in sequence reuse one connection and reassemble the blob", "[http]") {
    const std::string blob = make_blob(100'000);
    RangeHttpServer server(blob);
    boost::asio::io_context io;
    auto strand = boost::asio::make_strand(io);
    CurlHttpClient client(strand, HttpClientOptions{});

    constexpr std::uint64_t fragment = 16 * 1024;
    std::string assembled;
    std::vector<std::string> content_ranges;
    bool finished = false;
    bool failed = false;
    std::function<void(std::uint64_t)> fetch_from;
    fetch_from = [&](std::uint64_t offset) {
        HttpRequestSpec request;
        request.url = server.url("/fw.bin");
        request.range_start = offset;
        request.range_end = std::min<std::uint64_t>(offset + fragment, blob.size()) - 1;
        auto outcome = std::make_shared<Outcome>();
        HttpHandlers handlers = record(*outcome);
        handlers.on_done = [&, outcome, offset] {
            REQUIRE(outcome->statuses == std::vector<int>{206});
            content_ranges.push_back(outcome->content_range);
            assembled += outcome->body;
            const std::uint64_t next = offset + outcome->body.size();
            if (next >= blob.size()) {
                finished = true;
            } else {
                fetch_from(next); // from inside a handler, as the core does
            }
        };
        handlers.on_error = [&](HttpFailure, std::string_view) { failed = true; };
        boost::asio::post(strand, [&client, request, handlers] {
            REQUIRE(client.start(request, handlers) != 0);
        });
    };
    fetch_from(0);
    REQUIRE(run_until(io, [&] { return finished || failed; }));
    REQUIRE_FALSE(failed);
    CHECK(assembled == blob);
    const std::size_t expected_requests = (blob.size() + fragment - 1) / fragment;
    REQUIRE(content_ranges.size() == expected_requests);
    CHECK(content_ranges.front() == "bytes 0-16383/100000");
    CHECK(content_ranges.back() == "bytes 98304-99999/100000");
    CHECK(server.ranges().front() == "bytes=0-16383");
    // One TCP connection for all seven requests, seen from both ends.
    CHECK(client.stats().connections_opened == 1);
    CHECK(server.connections() == 1);
    CHECK(client.stats().requests_started == expected_requests);
    CHECK(client.stats().body_bytes == blob.size());
}

namespace {
std::size_t open_descriptors() {
    std::size_t count = 0;
    for ([[maybe_unused]] const auto& entry :
         std::filesystem::directory_iterator("/proc/self/fd")) {
        ++count;
    }
    return count;
}
} // namespace

TEST_CASE("An idle client lets go of its connection; the next request works", "[http]") {
    const std::string blob = make_blob(10'000);
    RangeHttpServer server(blob);
    boost::asio::io_context io;
    auto strand = boost::asio::make_strand(io);
    HttpClientOptions options;
    options.release_idle_after_ms = 100;
    CurlHttpClient client(strand, options);
    const auto fetch = [&] {
        Outcome outcome;
        HttpRequestSpec request;
        request.url = server.url("/fw.bin");
        boost::asio::post(strand, [&] { REQUIRE(client.start(request, record(outcome)) != 0); });
        REQUIRE(run_until(io, [&] { return outcome.finished(); }));
        CHECK(outcome.body == blob);
    };
    fetch();
    // Just done: the connection kept for reuse.
    const std::size_t busy = open_descriptors();
    CHECK(client.stats().connection_pools_made == 1);
    // Idle: it is closed (the in-process server's end of the connection is its own).
    REQUIRE(run_until(io, [&] { return open_descriptors() + 1 <= busy; }));
    fetch();
    // A new pool and a new connection: the first was closed, not kept for reuse.
    CHECK(client.stats().connection_pools_made == 2);
    CHECK(client.stats().connections_opened == 2);
    CHECK(server.connections() == 2);
}

TEST_CASE("Clients of one io_context share libcurl's multi handle, never their connections",
          "[http]") {
    const std::string blob = make_blob(3000);
    RangeHttpServer server(blob);
    boost::asio::io_context io;
    std::vector<Strand> strands;
    std::vector<std::unique_ptr<CurlHttpClient>> clients;
    HttpClientOptions options;
    options.release_idle_after_ms = 0;
    constexpr int kClients = 20;
    const std::size_t before = open_descriptors();
    for (int i = 0; i < kClients; ++i) {
        strands.push_back(boost::asio::make_strand(io));
        clients.push_back(std::make_unique<CurlHttpClient>(strands.back(), options));
    }
    // Each client fetches twice, all at once: every client its own connection, reused.
    for (int round = 0; round < 2; ++round) {
        std::vector<Outcome> outcomes(kClients);
        for (int i = 0; i < kClients; ++i) {
            HttpRequestSpec request;
            request.url = server.url("/fw.bin");
            boost::asio::post(strands[i], [&, i, request] {
                REQUIRE(clients[i]->start(request, record(outcomes[i])) != 0);
            });
        }
        REQUIRE(run_until(io, [&] {
            return std::all_of(outcomes.begin(), outcomes.end(),
                               [](const Outcome& o) { return o.finished(); });
        }));
        for (const Outcome& o : outcomes) {
            CHECK(o.body == blob);
        }
    }
    for (const auto& client : clients) {
        CHECK(client->stats().connections_opened == 1);
        CHECK(client->stats().requests_started == 2);
    }
    CHECK(server.connections() == kClients);
    // One multi handle (its wake-up socket pair) for all: both ends of the clients' connections
    // (the server is in this process) and two more, plus the io_context's reactor (epoll, eventfd
    // and timerfd, made on first use); a multi handle each would be 40 more.
    CHECK(open_descriptors() <= before + 2 * kClients + 2 + 3);
}

TEST_CASE("Without an idle release the connection is kept for reuse", "[http]") {
    RangeHttpServer server(make_blob(1000));
    boost::asio::io_context io;
    auto strand = boost::asio::make_strand(io);
    HttpClientOptions options;
    options.release_idle_after_ms = 0;
    CurlHttpClient client(strand, options);
    for (int i = 0; i < 2; ++i) {
        Outcome outcome;
        HttpRequestSpec request;
        request.url = server.url("/fw.bin");
        boost::asio::post(strand, [&] { REQUIRE(client.start(request, record(outcome)) != 0); });
        REQUIRE(run_until(io, [&] { return outcome.finished(); }));
        // Longer than the default release time would be: the connection stays.
        const auto pause_until = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
        run_until(io, [&] { return std::chrono::steady_clock::now() > pause_until; });
    }
    CHECK(client.stats().connection_pools_made == 1);
    CHECK(client.stats().connections_opened == 1);
}

TEST_CASE("Events arrive in order: status, headers, body, done", "[http]") {
    RangeHttpServer server(make_blob(5000));
    boost::asio::io_context io;
    auto strand = boost::asio::make_strand(io);
    CurlHttpClient client(strand, HttpClientOptions{});
    Outcome outcome;
    HttpRequestSpec request;
    request.url = server.url("/fw.bin");
    boost::asio::post(strand, [&] { REQUIRE(client.start(request, record(outcome)) != 0); });
    REQUIRE(run_until(io, [&] { return outcome.finished(); }));
    REQUIRE(outcome.done);
    CHECK(outcome.statuses == std::vector<int>{200});
    CHECK(outcome.body.size() == 5000);
    REQUIRE(outcome.trace.size() >= 4);
    CHECK(outcome.trace.front() == "status");
    CHECK(outcome.trace[1] == "header");
    CHECK(outcome.trace.back() == "done");
    // No header after the first body chunk.
    const auto first_body = std::find(outcome.trace.begin(), outcome.trace.end(), "body");
    CHECK(std::find(first_body, outcome.trace.end(), "header") == outcome.trace.end());
}

TEST_CASE("POST sends the body and content type and returns the response", "[http]") {
    RangeHttpServer server("unused");
    boost::asio::io_context io;
    auto strand = boost::asio::make_strand(io);
    CurlHttpClient client(strand, HttpClientOptions{});
    Outcome outcome;
    HttpRequestSpec request;
    request.method = HttpRequestSpec::Method::Post;
    request.url = server.url("/echo");
    request.body = R"({"state":{"reported":{"nrf_cloud_app_fw_version":"v1.0.0"}}})";
    request.content_type = "application/json";
    boost::asio::post(strand, [&] { REQUIRE(client.start(request, record(outcome)) != 0); });
    REQUIRE(run_until(io, [&] { return outcome.finished(); }));
    REQUIRE(outcome.done);
    CHECK(outcome.statuses == std::vector<int>{200});
    CHECK(outcome.body == request.body);
    CHECK(server.last_post_body() == request.body);
    CHECK(server.last_post_content_type() == "application/json");
}

TEST_CASE("Transport failures are reported as errors, HTTP errors as statuses", "[http]") {
    RangeHttpServer server(make_blob(10));
    boost::asio::io_context io;
    auto strand = boost::asio::make_strand(io);
    CurlHttpClient client(strand, HttpClientOptions{});

    SECTION("refused connection") {
        Outcome outcome;
        HttpRequestSpec request;
        request.url = "http://127.0.0.1:" + std::to_string(fota::sim::test::free_tcp_port()) + "/x";
        boost::asio::post(strand, [&] { REQUIRE(client.start(request, record(outcome)) != 0); });
        REQUIRE(run_until(io, [&] { return outcome.finished(); }));
        REQUIRE(outcome.failed);
        CHECK(outcome.failure == HttpFailure::ConnectFailed);
        CHECK(outcome.statuses.empty());
    }
    SECTION("body cut short by the server") {
        Outcome outcome;
        HttpRequestSpec request;
        request.url = server.url("/truncated");
        boost::asio::post(strand, [&] { REQUIRE(client.start(request, record(outcome)) != 0); });
        REQUIRE(run_until(io, [&] { return outcome.finished(); }));
        REQUIRE(outcome.failed);
        CHECK(outcome.failure == HttpFailure::ConnectionReset);
        CHECK(outcome.statuses == std::vector<int>{200});
        CHECK(outcome.body.size() == 100);
    }
    SECTION("404 and 416 are statuses, not failures") {
        Outcome missing;
        Outcome beyond;
        HttpRequestSpec request;
        request.url = server.url("/nothing");
        HttpRequestSpec range;
        range.url = server.url("/fw.bin");
        range.range_start = 100;
        range.range_end = 200;
        boost::asio::post(strand, [&] {
            REQUIRE(client.start(request, record(missing)) != 0);
            REQUIRE(client.start(range, record(beyond)) != 0);
        });
        REQUIRE(run_until(io, [&] { return missing.finished() && beyond.finished(); }));
        CHECK(missing.done);
        CHECK(missing.statuses == std::vector<int>{404});
        CHECK(beyond.done);
        CHECK(beyond.statuses == std::vector<int>{416});
    }
    SECTION("unsupported scheme is refused at once") {
        HttpRequestSpec request;
        request.url = "ftp://127.0.0.1/file";
        Outcome outcome;
        boost::asio::post(strand, [&] { client.start(request, record(outcome)); });
        REQUIRE(run_until(io, [&] { return outcome.finished(); }));
        CHECK(outcome.failed);
    }
}

TEST_CASE("A cancelled request reports nothing; the client stays usable", "[http]") {
    RangeHttpServer server(make_blob(200'000));
    boost::asio::io_context io;
    auto strand = boost::asio::make_strand(io);
    CurlHttpClient client(strand, HttpClientOptions{});
    Outcome cancelled;
    Outcome next;
    HttpRequestSpec request;
    request.url = server.url("/fw.bin");
    boost::asio::post(strand, [&] {
        const auto id = client.start(request, record(cancelled));
        REQUIRE(id != 0);
        client.cancel(id);
        client.cancel(id + 1000); // unknown: ignored
        REQUIRE(client.start(request, record(next)) != 0);
    });
    REQUIRE(run_until(io, [&] { return next.finished(); }));
    CHECK(next.done);
    CHECK(next.body.size() == 200'000);
    CHECK(cancelled.trace.empty());
}

TEST_CASE("A paused request holds its events until resumed", "[http]") {
    RangeHttpServer server(make_blob(300'000));
    boost::asio::io_context io;
    auto strand = boost::asio::make_strand(io);
    CurlHttpClient client(strand, HttpClientOptions{});
    CurlHttpClient other(strand, HttpClientOptions{});
    Outcome paused;
    Outcome witness;
    std::uint64_t paused_id = 0;
    HttpRequestSpec request;
    request.url = server.url("/fw.bin");
    boost::asio::post(strand, [&] {
        paused_id = client.start(request, record(paused));
        REQUIRE(paused_id != 0);
        client.pause(paused_id);
        REQUIRE(other.start(request, record(witness)) != 0);
    });
    // A whole transfer completes on another client while the paused one delivers nothing.
    REQUIRE(run_until(io, [&] { return witness.finished(); }));
    CHECK(witness.done);
    CHECK(paused.body.empty());
    CHECK_FALSE(paused.finished());
    boost::asio::post(strand, [&] { client.resume(paused_id); });
    REQUIRE(run_until(io, [&] { return paused.finished(); }));
    CHECK(paused.done);
    CHECK(paused.body.size() == 300'000);
}

TEST_CASE("A handler may destroy the client; nothing runs afterwards", "[http]") {
    RangeHttpServer server(make_blob(500'000));
    boost::asio::io_context io;
    auto strand = boost::asio::make_strand(io);
    Outcome outcome;
    int bodies = 0;
    auto client = std::make_unique<CurlHttpClient>(strand, HttpClientOptions{});
    HttpRequestSpec request;
    request.url = server.url("/fw.bin");
    HttpHandlers handlers = record(outcome);
    handlers.on_body = [&](std::span<const std::uint8_t>) {
        ++bodies;
        client.reset(); // as a device reset would, in the middle of a download
    };
    boost::asio::post(strand, [&] { REQUIRE(client->start(request, handlers) != 0); });
    REQUIRE(run_until(io, [&] { return client == nullptr; }));
    io.restart();
    io.poll();
    CHECK(bodies == 1);
    CHECK_FALSE(outcome.finished());
}

TEST_CASE("A handler may cancel its own request", "[http]") {
    RangeHttpServer server(make_blob(500'000));
    boost::asio::io_context io;
    auto strand = boost::asio::make_strand(io);
    CurlHttpClient client(strand, HttpClientOptions{});
    Outcome outcome;
    Outcome next;
    int bodies = 0;
    std::uint64_t id = 0;
    HttpRequestSpec request;
    request.url = server.url("/fw.bin");
    HttpHandlers handlers = record(outcome);
    handlers.on_body = [&](std::span<const std::uint8_t>) {
        ++bodies;
        client.cancel(id);
        REQUIRE(client.start(request, record(next)) != 0);
    };
    boost::asio::post(strand, [&] { id = client.start(request, handlers); });
    REQUIRE(run_until(io, [&] { return next.finished(); }));
    CHECK(bodies == 1);
    CHECK_FALSE(outcome.finished());
    CHECK(next.done);
    CHECK(next.body.size() == 500'000);
}

TEST_CASE("HTTPS: the server certificate is verified by default; client certificates work",
          "[http][tls]") {
    fota::sim::test::TempDir dir;
    const auto pki = fota::sim::test::make_test_pki(dir.path(), "thing-https");
    std::ofstream(dir.path() / "fw.bin") << "firmware over tls";
    boost::asio::io_context io;
    auto strand = boost::asio::make_strand(io);

    auto fetch = [&](std::uint16_t port, HttpClientOptions options) {
        CurlHttpClient client(strand, std::move(options));
        Outcome outcome;
        HttpRequestSpec request;
        request.url = "https://localhost:" + std::to_string(port) + "/fw.bin";
        boost::asio::post(strand, [&] { REQUIRE(client.start(request, record(outcome)) != 0); });
        REQUIRE(run_until(io, [&] { return outcome.finished(); }));
        return outcome;
    };

    SECTION("server certificate checks") {
        fota::sim::test::TlsFileServer server(dir.path(), pki, false);
        HttpClientOptions trusted;
        trusted.ca_file = pki.ca_cert.string();
        const Outcome ok = fetch(server.port(), trusted);
        REQUIRE(ok.done);
        CHECK(ok.statuses == std::vector<int>{200});
        CHECK(ok.body == "firmware over tls");

        // Not signed by a CA the client trusts (here: the system store): refused.
        const Outcome untrusted = fetch(server.port(), HttpClientOptions{});
        REQUIRE(untrusted.failed);
        CHECK(untrusted.failure == HttpFailure::Tls);
        CHECK(untrusted.statuses.empty());

        HttpClientOptions unverified;
        unverified.verify_tls = false;
        CHECK(fetch(server.port(), unverified).done);
    }
    SECTION("a server that requires a client certificate (the AWS shadow data plane)") {
        fota::sim::test::TlsFileServer server(dir.path(), pki, true);
        HttpClientOptions with_cert;
        with_cert.ca_file = pki.ca_cert.string();
        with_cert.client_cert_file = pki.client_cert.string();
        with_cert.client_key_file = pki.client_key.string();
        const Outcome ok = fetch(server.port(), with_cert);
        REQUIRE(ok.done);
        CHECK(ok.body == "firmware over tls");

        HttpClientOptions rogue = with_cert;
        rogue.client_cert_file = pki.rogue_cert.string();
        rogue.client_key_file = pki.rogue_key.string();
        const Outcome refused = fetch(server.port(), rogue);
        CHECK(refused.failed);
        CHECK(refused.statuses.empty());
    }
}
