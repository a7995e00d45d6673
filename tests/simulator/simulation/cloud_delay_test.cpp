// The cloud's delay per published message (cloud_delay.hpp): the distribution, its determinism,
// and what it lets happen on the in-memory broker (a reply overtaken by a notification computed
// after it) and what it must not (a message outliving a broker restart).
#include "fota/sim/simulation/cloud_delay.hpp"
#include "fota/sim/simulation/sim_cloud.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

using namespace fota::sim::simulation;
using nlohmann::json;
using std::chrono::milliseconds;

namespace {

const std::string kNotifyNext = "$aws/things/dev-1/jobs/notify-next";
const std::string kNextGetAccepted = "$aws/things/dev-1/jobs/$next/get/accepted";

struct World {
    World(std::uint64_t seed, CloudDelayOptions delays)
        : scheduler(seed), broker(scheduler, NetworkOptions{}), cloud(scheduler, broker, delays) {}
    Scheduler scheduler;
    Broker broker;
    SimCloud cloud;
    std::vector<std::pair<TimePoint, std::string>> received; ///< (arrival, topic)

    void settle() { scheduler.run_until(scheduler.now() + std::chrono::seconds(3)); }
    void control(const std::string& op, const json& args) {
        INFO(op << " " << args.dump());
        REQUIRE(cloud.control({{"op", op}, {"args", args}}).ok());
    }
    Broker::ConnectionId connect() {
        MqttClientCallbacks callbacks;
        callbacks.message = [this](const std::string& topic, const std::string&) {
            received.emplace_back(scheduler.now(), topic);
        };
        return broker.connect("dev-1", true, callbacks);
    }
    /// Runs events until the cloud has published one more message than now.
    void run_until_published() {
        const auto before = cloud.messages_published();
        while (cloud.messages_published() == before) {
            REQUIRE(scheduler.run_one());
        }
    }
    std::optional<std::size_t> index_of(const std::string& topic) const {
        for (std::size_t i = 0; i < received.size(); ++i) {
            if (received[i].second == topic) {
                return i;
            }
        }
        return std::nullopt;
    }
};

/// Every message waits exactly `delay`.
CloudDelayOptions fixed(Duration delay) {
    CloudDelayOptions options;
    options.fast_min = delay;
    options.fast_max = delay;
    options.slow_per_thousand = 0;
    options.stall_per_thousand = 0;
    return options;
}

/// A device asks $next/get while no job exists; the job is created right after the cloud has
/// computed the (empty) reply. True when the job's notify-next reached the device before that
/// reply.
bool notification_overtakes_reply(std::uint64_t seed, CloudDelayOptions delays) {
    World w(seed, delays);
    w.control("create_thing", {{"thingName", "dev-1"}});
    const auto c = w.connect();
    w.broker.subscribe(c, kNotifyNext, 1, 1);
    w.settle();
    w.broker.publish(c, "$aws/things/dev-1/jobs/$next/get", R"({"clientToken":"t"})", 1, 2);
    w.run_until_published();
    w.control("create_job",
              {{"jobId", "job-1"},
               {"body",
                {{"targets", {"arn:aws:iot:us-east-1:123456789012:thing/dev-1"}},
                 {"document", R"({"operation":"app_fw_update","fwversion":"2.0.0"})"}}}});
    w.settle();
    const auto reply = w.index_of(kNextGetAccepted);
    const auto notify = w.index_of(kNotifyNext);
    REQUIRE(reply.has_value());
    REQUIRE(notify.has_value());
    return *notify < *reply;
}

} // namespace

TEST_CASE("cloud delays: 90 % fast, 9 % slow, 1 % stalls, within their bounds", "[simulation]") {
    const CloudDelayOptions options;
    Random random(42);
    int fast = 0;
    int slow = 0;
    int stall = 0;
    Duration shortest = Duration::max();
    Duration longest = Duration::min();
    for (int i = 0; i < 100'000; ++i) {
        const Duration d = draw_cloud_delay(random, options);
        shortest = std::min(shortest, d);
        longest = std::max(longest, d);
        (d <= milliseconds(50) ? fast : d <= milliseconds(500) ? slow : stall) += 1;
    }
    CHECK(shortest >= milliseconds(5));
    CHECK(shortest < milliseconds(6));
    CHECK(longest <= std::chrono::seconds(2));
    CHECK(longest > milliseconds(1990));
    CHECK(fast > 89'000);
    CHECK(fast < 91'000);
    CHECK(slow > 8'400);
    CHECK(slow < 9'600);
    CHECK(stall > 800);
    CHECK(stall < 1'200);
}

TEST_CASE("cloud delays: the seed alone decides them; off means none", "[simulation]") {
    const auto draws = [](std::uint64_t seed, const CloudDelayOptions& options) {
        Random random(seed);
        std::vector<Duration> out;
        for (int i = 0; i < 50; ++i) {
            out.push_back(draw_cloud_delay(random, options));
        }
        return out;
    };
    CHECK(draws(7, {}) == draws(7, {}));
    CHECK(draws(7, {}) != draws(8, {}));
    CloudDelayOptions off;
    off.enabled = false;
    CHECK(draws(7, off) == std::vector<Duration>(50, Duration(0)));
    // Bands whose bounds are not above the previous one collapse onto it.
    CloudDelayOptions flat;
    flat.fast_min = milliseconds(30);
    flat.fast_max = milliseconds(10);
    flat.slow_max = milliseconds(20);
    flat.stall_max = milliseconds(0);
    flat.slow_per_thousand = 300;
    flat.stall_per_thousand = 300;
    CHECK(draws(7, flat) == std::vector<Duration>(50, milliseconds(30)));
}

TEST_CASE("cloud delays: each message enters the broker after its own delay", "[simulation]") {
    World w(3, fixed(milliseconds(400)));
    w.control("create_thing", {{"thingName", "dev-1"}});
    const auto c = w.connect();
    w.settle();
    w.broker.publish(c, "$aws/things/dev-1/jobs/$next/get", "{}", 1, 1);
    w.run_until_published();
    const TimePoint computed = w.scheduler.now();
    w.settle();
    REQUIRE(w.received.size() == 1);
    const Duration took = w.received[0].first - computed;
    // 400 ms in the cloud, then the network's one way (20 to 30 ms).
    CHECK(took >= milliseconds(420));
    CHECK(took <= milliseconds(430));
    CHECK(w.cloud.longest_delay() == milliseconds(400));
}

TEST_CASE("cloud delays: a notification can overtake a reply computed before it, off it cannot",
          "[simulation]") {
    int overtaken = 0;
    int in_order = 0;
    for (std::uint64_t seed = 1; seed <= 200; ++seed) {
        (notification_overtakes_reply(seed, {}) ? overtaken : in_order) += 1;
    }
    // Either order happens, each for a fair share of the seeds.
    CHECK(overtaken >= 20);
    CHECK(in_order >= 20);
    CloudDelayOptions off;
    off.enabled = false;
    for (std::uint64_t seed = 1; seed <= 50; ++seed) {
        INFO("seed " << seed);
        CHECK_FALSE(notification_overtakes_reply(seed, off));
    }
}

TEST_CASE("cloud delays: a message computed before a broker restart is lost with it",
          "[simulation]") {
    World w(3, fixed(milliseconds(400)));
    w.control("create_thing", {{"thingName", "dev-1"}});
    auto c = w.connect();
    w.settle();
    w.broker.publish(c, "$aws/things/dev-1/jobs/$next/get", "{}", 1, 1);
    w.run_until_published();
    w.broker.stop();
    w.broker.start();
    c = w.connect(); // back (CONNACK in 40 to 60 ms) before the reply's 400 ms are over
    w.settle();
    CHECK(w.received.empty());
    w.broker.publish(c, "$aws/things/dev-1/jobs/$next/get", "{}", 1, 2);
    w.settle();
    CHECK(w.received.size() == 1);
}
