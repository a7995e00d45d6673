// HTTP in the simulation: the object server's handling (Range, presigned expiry, fault knobs)
// reached through SimHttpClient on the virtual clock, with the libcurl client's handler contract.
#include "fota/sim/simulation/sim_object_server.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <optional>
#include <string>
#include <vector>

using namespace fota::sim::simulation;
using fota::cloud::ObjectFault;
using fota::sim::HttpFailure;
using fota::sim::HttpHandlers;
using fota::sim::HttpRequestSpec;

namespace {

const std::string kUrl = "http://objects.sim:80/fw/a.bin";

std::string pattern(std::size_t size) {
    std::string out(size, '\0');
    for (std::size_t i = 0; i < size; ++i) {
        out[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
    }
    return out;
}

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

/// Everything one request reported, and when.
struct Result {
    int status = 0;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::vector<TimePoint> body_times;
    std::vector<std::string> order; ///< "status", "header", "body", "done", "error"
    bool done = false;
    std::optional<HttpFailure> failure;
    std::string message;
    TimePoint ended{-1};
    [[nodiscard]] bool finished() const { return done || failure.has_value(); }
    [[nodiscard]] std::optional<std::string> header(const std::string& name) const {
        for (const auto& [n, v] : headers) {
            if (lower(n) == lower(name)) {
                return v;
            }
        }
        return std::nullopt;
    }
};

struct World {
    explicit World(std::uint64_t seed = 7, SimObjectServerOptions options = {})
        : scheduler(seed), network(scheduler), objects(network, std::move(options)),
          client(network) {
        objects.store().put_object("fw", "a.bin", object);
    }

    /// Handlers that record into `r` and check no handler runs inside start() or cancel().
    HttpHandlers record(Result& r) {
        HttpHandlers h;
        h.on_status = [this, &r](int status) {
            CHECK_FALSE(inside_call);
            r.status = status;
            r.order.emplace_back("status");
        };
        h.on_header = [this, &r](std::string_view name, std::string_view value) {
            CHECK_FALSE(inside_call);
            r.headers.emplace_back(std::string(name), std::string(value));
            r.order.emplace_back("header");
        };
        h.on_body = [this, &r](std::span<const std::uint8_t> chunk) {
            CHECK_FALSE(inside_call);
            r.body.append(reinterpret_cast<const char*>(chunk.data()), chunk.size());
            r.body_times.push_back(scheduler.now());
            r.order.emplace_back("body");
        };
        h.on_done = [this, &r] {
            CHECK_FALSE(inside_call);
            r.done = true;
            r.ended = scheduler.now();
            r.order.emplace_back("done");
        };
        h.on_error = [this, &r](HttpFailure failure, std::string_view message) {
            CHECK_FALSE(inside_call);
            r.failure = failure;
            r.message = std::string(message);
            r.ended = scheduler.now();
            r.order.emplace_back("error");
        };
        return h;
    }

    std::uint64_t start(Result& r, const std::string& url = kUrl,
                        std::optional<std::uint64_t> range_start = std::nullopt,
                        std::optional<std::uint64_t> range_end = std::nullopt) {
        HttpRequestSpec spec;
        spec.url = url;
        spec.range_start = range_start;
        spec.range_end = range_end;
        inside_call = true;
        const auto id = client.start(spec, record(r));
        inside_call = false;
        return id;
    }

    /// Runs events until `r` has finished (or nothing is left to run).
    void run(const Result& r) {
        while (!r.finished() && scheduler.run_one()) {
        }
    }

    Result get(const std::string& url = kUrl,
               std::optional<std::uint64_t> range_start = std::nullopt,
               std::optional<std::uint64_t> range_end = std::nullopt) {
        Result r;
        start(r, url, range_start, range_end);
        run(r);
        return r;
    }

    std::string object = pattern(10'000);
    bool inside_call = false;
    Scheduler scheduler;
    SimHttpNetwork network;
    SimObjectServer objects;
    SimHttpClient client;
};

ObjectFault fault(ObjectFault::Kind kind) {
    ObjectFault f;
    f.kind = kind;
    f.count = 1;
    return f;
}

} // namespace

TEST_CASE("sim http: a GET delivers status, headers, the body in chunks, then done") {
    World w;
    const Result r = w.get();
    CHECK(r.done);
    CHECK(r.status == 200);
    CHECK(r.body == w.object);
    CHECK(r.header("Content-Length") == "10000");
    CHECK(r.header("ETag").has_value());
    CHECK(r.body_times.size() == 3); // 4096 + 4096 + 1808
    REQUIRE(r.order.size() >= 3);
    CHECK(r.order.front() == "status");
    CHECK(r.order[1] == "header");
    CHECK(r.order.back() == "done");
    // A new connection (a round trip), the request and the answer: at least two round trips.
    CHECK(r.ended >= Duration(std::chrono::milliseconds(80)));
    CHECK(w.client.stats().requests_started == 1);
    CHECK(w.client.stats().connections_opened == 1);
    CHECK(w.client.stats().body_bytes == 10'000);
    const auto c = w.objects.store().counters("fw", "a.bin");
    CHECK(c.get_requests == 1);
    CHECK(c.bytes_served == 10'000);
    CHECK(c.complete_responses == 1);
}

TEST_CASE("sim http: Range requests get 206 and Content-Range; past the end 416") {
    World w;
    const Result part = w.get(kUrl, 100, 199);
    CHECK(part.status == 206);
    CHECK(part.body == w.object.substr(100, 100));
    CHECK(part.header("Content-Range") == "bytes 100-199/10000");
    const Result tail = w.get(kUrl, 9'000);
    CHECK(tail.status == 206);
    CHECK(tail.body == w.object.substr(9'000));
    const Result past = w.get(kUrl, 20'000, 20'010);
    CHECK(past.status == 416);
    CHECK(past.body.find("InvalidRange") != std::string::npos);
    CHECK(past.done);
    CHECK(w.objects.store().counters("fw", "a.bin").range_requests == 3);
    // The same kept-alive connection carried all three.
    CHECK(w.client.stats().connections_opened == 1);
}

TEST_CASE("sim http: an idle connection is reused until the server's idle timeout") {
    World w;
    Result first;
    Result second;
    HttpHandlers h = w.record(first);
    auto on_done = h.on_done;
    h.on_done = [&] {
        on_done();
        HttpRequestSpec spec;
        spec.url = kUrl;
        w.client.start(spec, w.record(second)); // from a handler, as the core does
    };
    HttpRequestSpec spec;
    spec.url = kUrl;
    w.client.start(spec, std::move(h));
    w.run(second);
    CHECK(second.done);
    CHECK(w.client.stats().connections_opened == 1);
    w.scheduler.run_until(w.scheduler.now() + std::chrono::seconds(121));
    CHECK(w.get().done);
    CHECK(w.client.stats().connections_opened == 2);
}

TEST_CASE("sim http: a presigned URL names the sim endpoint and expires on the virtual clock") {
    for (const bool signed_store : {false, true}) {
        SimObjectServerOptions options;
        if (signed_store) {
            options.credentials = fota::cloud::http::Credentials{"AKIDSIM", "sim-secret", ""};
        }
        World w(7, options);
        const std::string url =
            w.objects.store().presign_get("fw", "a.bin", std::chrono::seconds(60));
        CHECK(url.rfind("http://objects.sim:80/fw/a.bin?", 0) == 0);
        CHECK(url.find("X-Amz-Date=20270101T000000Z") != std::string::npos);
        const Result fresh = w.get(url);
        CHECK(fresh.status == 200);
        CHECK(fresh.body == w.object);
        w.scheduler.run_until(std::chrono::seconds(61));
        const Result late = w.get(url);
        CHECK(late.status == 403);
        CHECK(late.body.find("Request has expired") != std::string::npos);
        if (signed_store) {
            CHECK(w.get().status == 403); // unsigned: AccessDenied
        }
    }
}

TEST_CASE("sim http: close_after_bytes cuts the body and resets the connection") {
    World w;
    auto f = fault(ObjectFault::Kind::close_after_bytes);
    f.bytes = 5'000;
    w.objects.store().add_fault(f);
    const Result cut = w.get();
    CHECK(cut.status == 200);
    CHECK(cut.body == w.object.substr(0, 5'000));
    REQUIRE(cut.failure.has_value());
    CHECK(*cut.failure == HttpFailure::ConnectionReset);
    CHECK(w.objects.store().counters("fw", "a.bin").aborted_responses == 1);
    CHECK(w.get().done);
    CHECK(w.client.stats().connections_opened == 2); // the cut connection is not reused
}

TEST_CASE("sim http: throttle spaces the body in virtual time, stall pauses it") {
    World plain;
    const Result fast = plain.get();
    REQUIRE(fast.done);
    World throttled;
    auto t = fault(ObjectFault::Kind::throttle);
    t.bytes_per_second = 5'000;
    throttled.objects.store().add_fault(t);
    const Result slow = throttled.get();
    REQUIRE(slow.done);
    CHECK(slow.body == throttled.object);
    CHECK(slow.body_times.size() == 40); // 250-byte chunks, 20 a second
    CHECK(slow.ended - fast.ended >= std::chrono::milliseconds(1'900));
    CHECK(slow.ended - fast.ended <= std::chrono::milliseconds(2'100));

    World stalled;
    auto s = fault(ObjectFault::Kind::stall);
    s.bytes = 4'096;
    s.duration = std::chrono::seconds(30);
    stalled.objects.store().add_fault(s);
    const Result paused = stalled.get();
    REQUIRE(paused.done);
    CHECK(paused.body == stalled.object);
    REQUIRE(paused.body_times.size() == 3);
    CHECK(paused.body_times[1] - paused.body_times[0] >= std::chrono::seconds(30));
}

TEST_CASE("sim http: connection_close answers in full, then the connection is not reused") {
    World w;
    w.objects.store().add_fault(fault(ObjectFault::Kind::connection_close));
    const Result r = w.get();
    CHECK(r.done);
    CHECK(r.header("Connection") == "close");
    CHECK(w.get().done);
    CHECK(w.client.stats().connections_opened == 2);
}

TEST_CASE("sim http: refuse_connections resets new connections before any answer") {
    World w;
    auto f = fault(ObjectFault::Kind::refuse_connections);
    f.count = 2;
    w.objects.store().add_fault(f);
    for (int i = 0; i < 2; ++i) {
        const Result r = w.get();
        REQUIRE(r.failure.has_value());
        CHECK(*r.failure == HttpFailure::ConnectionReset);
        CHECK(r.order == std::vector<std::string>{"error"});
    }
    CHECK(w.get().done);
    CHECK(w.client.stats().connections_opened == 3);
    CHECK(w.objects.store().counters("fw", "a.bin").get_requests == 1);
}

TEST_CASE("sim http: the answer-shaping fault knobs") {
    World w;
    SECTION("error_status") {
        auto f = fault(ObjectFault::Kind::error_status);
        f.status = 503;
        w.objects.store().add_fault(f);
        const Result r = w.get();
        CHECK(r.status == 503);
        CHECK(r.body.find("SlowDown") != std::string::npos);
    }
    SECTION("ignore_range") {
        w.objects.store().add_fault(fault(ObjectFault::Kind::ignore_range));
        const Result r = w.get(kUrl, 0, 99);
        CHECK(r.status == 200);
        CHECK(r.body == w.object);
    }
    SECTION("wrong_content_range") {
        auto f = fault(ObjectFault::Kind::wrong_content_range);
        f.shift = 1;
        w.objects.store().add_fault(f);
        const Result r = w.get(kUrl, 0, 99);
        CHECK(r.status == 206);
        CHECK(r.header("Content-Range") == "bytes 1-100/10000");
        CHECK(r.body == w.object.substr(0, 100));
    }
    SECTION("redirect") {
        auto f = fault(ObjectFault::Kind::redirect);
        f.status = 302;
        f.location = "http://objects.sim:80/fw/b.bin";
        w.objects.store().add_fault(f);
        const Result r = w.get();
        CHECK(r.status == 302);
        CHECK(r.header("Location") == "http://objects.sim:80/fw/b.bin");
    }
    SECTION("long_header") {
        auto f = fault(ObjectFault::Kind::long_header);
        f.bytes = 9'000;
        w.objects.store().add_fault(f);
        const Result r = w.get();
        CHECK(r.header("X-Fota-Padding").value_or("").size() == 9'000);
    }
    SECTION("lowercase_headers") {
        w.objects.store().add_fault(fault(ObjectFault::Kind::lowercase_headers));
        const Result r = w.get();
        CHECK(r.done);
        const bool all_lower = std::all_of(r.headers.begin(), r.headers.end(),
                                           [](const auto& h) { return h.first == lower(h.first); });
        CHECK(all_lower);
        CHECK(r.header("content-length") == "10000");
    }
}

TEST_CASE("sim http: hosts and ports nobody serves fail like a network would") {
    World w;
    const Result unknown = w.get("http://elsewhere.sim/fw/a.bin");
    CHECK(unknown.failure == HttpFailure::NameResolution);
    const Result port = w.get("http://objects.sim:8080/fw/a.bin");
    CHECK(port.failure == HttpFailure::ConnectFailed);
    const Result tls = w.get("https://objects.sim/fw/a.bin");
    CHECK(tls.failure == HttpFailure::ConnectFailed);
    const Result malformed = w.get("objects.sim/fw/a.bin");
    CHECK(malformed.failure == HttpFailure::Other);
    // The default port is the same endpoint.
    CHECK(w.get("http://objects.sim/fw/a.bin").done);
    CHECK_THROWS_AS(w.network.add_endpoint("http://objects.sim:80", w.objects),
                    std::invalid_argument);
    CHECK_THROWS_AS(w.network.add_endpoint("ftp://x", w.objects), std::invalid_argument);
}

TEST_CASE("sim http: cancel stops every handler; pause holds events until resume") {
    World w;
    // Throttled, so the server is still sending when the client lets go.
    auto slow = fault(ObjectFault::Kind::throttle);
    slow.bytes_per_second = 10'000;
    w.objects.store().add_fault(slow);
    Result cancelled;
    std::uint64_t id = 0;
    HttpHandlers h = w.record(cancelled);
    auto on_body = h.on_body;
    h.on_body = [&](std::span<const std::uint8_t> chunk) {
        on_body(chunk);
        w.inside_call = true;
        w.client.cancel(id);
        w.inside_call = false;
    };
    HttpRequestSpec spec;
    spec.url = kUrl;
    id = w.client.start(spec, std::move(h));
    while (w.scheduler.run_one()) {
    }
    CHECK(cancelled.body.size() == 500);
    CHECK_FALSE(cancelled.finished());
    CHECK(w.objects.store().counters("fw", "a.bin").aborted_responses == 1);

    Result held;
    const auto paused_id = w.start(held);
    w.client.pause(paused_id);
    w.scheduler.run_until(w.scheduler.now() + std::chrono::seconds(10));
    CHECK(held.order.empty());
    w.client.resume(paused_id);
    CHECK(held.order.empty()); // delivered from an event, not inside resume()
    w.run(held);
    CHECK(held.done);
    CHECK(held.body == w.object);
}

TEST_CASE("sim http: the same seed gives the same event times, another seed others") {
    auto times = [](std::uint64_t seed) {
        World w(seed);
        std::vector<TimePoint> out;
        for (int i = 0; i < 3; ++i) {
            const Result r = w.get(kUrl, static_cast<std::uint64_t>(i) * 1000);
            out.insert(out.end(), r.body_times.begin(), r.body_times.end());
            out.push_back(r.ended);
        }
        return out;
    };
    CHECK(times(11) == times(11));
    CHECK(times(11) != times(12));
}

TEST_CASE("object store: the endpoint must be an http(s) URL of a host") {
    fota::cloud::ObjectStoreConfig config;
    config.endpoint = "objects.sim:80";
    CHECK_THROWS_AS(fota::cloud::ObjectStore(config), std::invalid_argument);
    config.endpoint = "http://objects.sim:80";
    fota::cloud::ObjectStore store(config);
    CHECK_THROWS_AS(store.set_endpoint("http://a/b"), std::invalid_argument);
    CHECK(store.endpoint() == "http://objects.sim:80");
}
