// A device's world on the virtual clock: posts in order, timers, and the MQTT session on the
// in-memory broker behaving as the Paho session does (reconnect with backoff, faults, stop).
#include "fota/sim/simulation/sim_device_host.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace fota::sim;
using namespace fota::sim::simulation;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

struct World {
    Scheduler scheduler{7};
    Broker broker{scheduler, NetworkOptions{}};
    SimHttpNetwork http{scheduler};
    std::shared_ptr<DeviceHost> host = make_sim_device_host({scheduler, broker, http});
    std::vector<std::string> events;

    std::unique_ptr<MqttClient> session(const std::string& client_id, std::uint64_t seed = 1) {
        MqttOptions options;
        options.client_id = client_id;
        options.seed = seed;
        MqttHandlers handlers;
        handlers.on_connected = [this](bool) { events.push_back("connected"); };
        handlers.on_disconnected = [this](const MqttDisconnect& why) {
            events.push_back(std::string(why.refused ? "refused: " : "lost: ") + why.reason);
        };
        handlers.on_message = [this](std::string_view topic, std::string_view payload) {
            events.push_back(std::string(topic) + " " + std::string(payload));
        };
        return host->make_mqtt_client(options, handlers);
    }

    void run_for(std::chrono::microseconds duration) {
        scheduler.run_until(scheduler.now() + duration);
    }
};

} // namespace

TEST_CASE("posts run later, in the order posted, also what a post posts") {
    World w;
    std::vector<int> order;
    w.host->post([&] {
        order.push_back(1);
        w.host->post([&] { order.push_back(3); });
    });
    w.host->post([&] { order.push_back(2); });
    CHECK(order.empty());
    w.run_for(milliseconds(1));
    CHECK(order == std::vector<int>{1, 2, 3});
}

TEST_CASE("a timer fires on the virtual clock; cancel, restart and destruction stop it") {
    World w;
    int fired = 0;
    auto timer = w.host->make_timer();
    timer->start(seconds(5), [&] { ++fired; });
    w.run_for(milliseconds(4'999));
    CHECK(fired == 0);
    w.run_for(milliseconds(1));
    CHECK(fired == 1);
    CHECK(w.host->now() == std::chrono::duration_cast<HostTime>(seconds(5)));

    timer->start(seconds(1), [&] { fired += 10; });
    timer->start(seconds(2), [&] { fired += 100; }); // replaces the first
    w.run_for(seconds(3));
    CHECK(fired == 101);

    timer->start(seconds(1), [&] { fired += 1000; });
    timer->cancel();
    auto doomed = w.host->make_timer();
    doomed->start(seconds(1), [&] { fired += 1000; });
    doomed.reset();
    w.run_for(seconds(2));
    CHECK(fired == 101);
}

TEST_CASE("the session connects, subscribes, publishes and receives through the broker") {
    World w;
    auto device = w.session("thing-1");
    CHECK(device->publish("a/b", "x") == MqttClient::Result::NotConnected);
    device->start();
    CHECK(w.events.empty()); // nothing inside start()
    w.run_for(seconds(1));
    REQUIRE(w.events == std::vector<std::string>{"connected"});
    CHECK(device->connected());
    CHECK(device->subscribe("cmd/#") == MqttClient::Result::Ok);
    w.run_for(seconds(1));
    w.broker.deliver("", "cmd/go", "now");
    w.run_for(seconds(1));
    CHECK(w.events.back() == "cmd/go now");
    CHECK(device->publish("up", "1") == MqttClient::Result::Ok);
    CHECK(device->stats().publishes == 1);
    CHECK(device->stats().messages_received == 1);
}

TEST_CASE("a broker that goes away: the loss is reported, reconnects back off until it returns") {
    World w;
    auto device = w.session("thing-1");
    device->start();
    w.run_for(seconds(1));
    w.broker.stop();
    w.run_for(seconds(20));
    REQUIRE(w.events.size() >= 3);
    CHECK(w.events[1] == "lost: connection lost");
    CHECK(w.events[2].rfind("refused: connect failed", 0) == 0);
    const auto attempts = device->stats().connect_attempts;
    // 1 s, 2 s, 4 s, 8 s backoff (each drawn from [half, whole]): 4 to 6 attempts in 20 s.
    CHECK(attempts >= 4);
    CHECK(attempts <= 7);
    w.broker.start();
    w.run_for(seconds(70));
    CHECK(device->connected());
    CHECK(w.events.back() == "connected");
    CHECK(device->stats().connections == 2);
}

TEST_CASE("the same seed backs off the same way; another seed differently") {
    const auto attempt_times = [](std::uint64_t seed) {
        World w;
        auto device = w.session("thing-1", seed);
        w.broker.stop();
        device->start();
        std::vector<std::int64_t> times;
        std::uint64_t seen = 0;
        while (w.scheduler.now() < seconds(120)) {
            w.run_for(milliseconds(10));
            if (device->stats().connect_attempts != seen) {
                seen = device->stats().connect_attempts;
                times.push_back(w.scheduler.now().count());
            }
        }
        return times;
    };
    CHECK(attempt_times(1) == attempt_times(1));
    CHECK(attempt_times(1) != attempt_times(2));
}

TEST_CASE("faults: go_offline, drop_connection, lose_next_message") {
    World w;
    auto device = w.session("thing-1");
    device->start();
    w.run_for(seconds(1));
    REQUIRE(device->subscribe("t/#") == MqttClient::Result::Ok);
    w.run_for(seconds(1));

    device->lose_next_message("/keep");
    w.broker.deliver("", "t/lost", "a"); // another suffix: delivered
    w.broker.deliver("", "t/keep", "b"); // lost
    w.broker.deliver("", "t/keep", "c"); // delivered: only the next one is lost
    w.run_for(seconds(1));
    CHECK(w.events == std::vector<std::string>{"connected", "t/lost a", "t/keep c"});
    CHECK(device->stats().messages_dropped_by_fault == 1);

    w.events.clear();
    device->go_offline(seconds(30));
    CHECK(w.events == std::vector<std::string>{"lost: dropped by fault"}); // as Paho: at once
    w.run_for(seconds(29));
    CHECK_FALSE(device->connected());
    CHECK(device->stats().offline_attempts >= 3);
    w.run_for(seconds(60));
    CHECK(device->connected());

    w.events.clear();
    device->drop_connection();
    CHECK(w.events == std::vector<std::string>{"lost: dropped by fault"});
    w.run_for(seconds(5));
    CHECK(device->connected());
}

TEST_CASE("stop ends the session at once; destruction silently, and the broker forgets it") {
    World w;
    auto device = w.session("thing-1");
    device->start();
    w.run_for(seconds(1));
    device->stop();
    CHECK(w.events == std::vector<std::string>{"connected", "lost: stopped"});
    w.run_for(seconds(120));
    CHECK(w.events.size() == 2); // no reconnect after stop
    CHECK(w.broker.connection_count() == 0);

    device->start();
    w.run_for(seconds(1));
    CHECK(w.broker.connection_count() == 1);
    device.reset();
    w.run_for(seconds(120));
    CHECK(w.events.back() == "connected");
    CHECK(w.broker.connection_count() == 0);
}
