// The control plane's REST routes on the simulated network: a device's shadow report over HTTP
// reaches SimCloud's Shadow service, and what the update causes is published on MQTT.
#include "fota/sim/simulation/sim_control_plane.hpp"

#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

using namespace fota::sim::simulation;
using fota::sim::HttpHandlers;
using fota::sim::HttpRequestSpec;
using nlohmann::json;

namespace {

struct Answer {
    int status = 0;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    bool done = false;
    [[nodiscard]] std::optional<std::string> header(const std::string& name) const {
        for (const auto& [n, v] : headers) {
            if (n == name) {
                return v;
            }
        }
        return std::nullopt;
    }
};

struct World {
    Scheduler scheduler{5};
    Broker broker{scheduler, NetworkOptions{}};
    SimCloud cloud{scheduler, broker};
    SimHttpNetwork network{scheduler};
    SimControlPlane control_plane{network, cloud};
    SimHttpClient client{network};

    Answer call(HttpRequestSpec::Method method, const std::string& path, std::string body = {}) {
        Answer a;
        HttpRequestSpec spec;
        spec.method = method;
        spec.url = control_plane.endpoint() + path;
        spec.body = std::move(body);
        spec.content_type = "application/json";
        HttpHandlers h;
        h.on_status = [&a](int status) { a.status = status; };
        h.on_header = [&a](std::string_view n, std::string_view v) {
            a.headers.emplace_back(std::string(n), std::string(v));
        };
        h.on_body = [&a](std::span<const std::uint8_t> chunk) {
            a.body.append(reinterpret_cast<const char*>(chunk.data()), chunk.size());
        };
        h.on_done = [&a] { a.done = true; };
        client.start(spec, std::move(h));
        scheduler.run_until(scheduler.now() + std::chrono::seconds(2));
        return a;
    }
};

} // namespace

TEST_CASE("sim control plane: a shadow POST over HTTP updates the shadow and publishes it") {
    World w;
    std::vector<std::string> documents;
    MqttClientCallbacks callbacks;
    callbacks.message = [&](const std::string& topic, const std::string& payload) {
        if (topic == "$aws/things/dev-1/shadow/update/documents") {
            documents.push_back(payload);
        }
    };
    const auto watcher = w.broker.connect("watcher", true, callbacks);
    w.broker.subscribe(watcher, "$aws/things/dev-1/shadow/update/documents", 1, 1);
    w.scheduler.run_until(w.scheduler.now() + std::chrono::seconds(1));

    const Answer posted = w.call(HttpRequestSpec::Method::Post, "/things/dev-1/shadow",
                                 R"({"state":{"reported":{"app_version":"1.2.3"}}})");
    REQUIRE(posted.done);
    CHECK(posted.status == 200);
    CHECK(json::parse(posted.body)["state"]["reported"]["app_version"] == "1.2.3");
    CHECK(documents.size() == 1);

    const Answer got = w.call(HttpRequestSpec::Method::Get, "/things/dev-1/shadow");
    CHECK(got.status == 200);
    const json shadow = json::parse(got.body);
    CHECK(shadow["state"]["reported"]["app_version"] == "1.2.3");
    // The shadow's timestamps are the simulation's epoch plus virtual time.
    CHECK(shadow["timestamp"].get<std::int64_t>() >= SimCloud::kDefaultEpoch);
    CHECK(shadow["timestamp"].get<std::int64_t>() < SimCloud::kDefaultEpoch + 60);
}

TEST_CASE("sim control plane: errors come in AWS's format") {
    World w;
    const Answer missing = w.call(HttpRequestSpec::Method::Get, "/things/nobody/shadow");
    CHECK(missing.status == 404);
    CHECK(missing.header("x-amzn-ErrorType") == "ResourceNotFoundException");
    const Answer bad = w.call(HttpRequestSpec::Method::Post, "/things/dev-1/shadow", "not json");
    CHECK(bad.status == 400);
    CHECK(json::parse(bad.body).contains("message"));
}
