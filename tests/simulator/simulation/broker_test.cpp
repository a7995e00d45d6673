// The in-memory broker: MQTT 3.1.1 as a client observes it, on the virtual clock.
#include "fota/sim/simulation/broker.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

using namespace fota::sim::simulation;
using std::chrono::milliseconds;

namespace {

/// A client that writes down everything it is told.
struct Client {
    std::vector<std::string> events;
    MqttClientCallbacks callbacks() {
        MqttClientCallbacks c;
        c.connected = [this](bool present) {
            events.push_back(present ? "connected+session" : "connected");
        };
        c.connect_failed = [this] { events.push_back("connect_failed"); };
        c.connection_lost = [this] { events.push_back("lost"); };
        c.message = [this](const std::string& topic, const std::string& payload) {
            events.push_back(topic + " " + payload);
        };
        c.subscribed = [this](std::uint32_t token, bool granted) {
            events.push_back("suback " + std::to_string(token) + (granted ? "" : " refused"));
        };
        c.unsubscribed = [this](std::uint32_t token) {
            events.push_back("unsuback " + std::to_string(token));
        };
        c.published = [this](std::uint32_t token) {
            events.push_back("puback " + std::to_string(token));
        };
        return c;
    }
};

struct World {
    Scheduler scheduler{7};
    Broker broker{scheduler, NetworkOptions{}};
    void settle() { scheduler.run_until(scheduler.now() + std::chrono::seconds(5)); }
};

} // namespace

TEST_CASE("topic filters match as MQTT says", "[simulation]") {
    CHECK(topic_matches("a/b", "a/b"));
    CHECK_FALSE(topic_matches("a/b", "a/c"));
    CHECK(topic_matches("a/+/c", "a/x/c"));
    CHECK_FALSE(topic_matches("a/+/c", "a/x/y/c"));
    CHECK(topic_matches("a/#", "a/x/y/c"));
    CHECK(topic_matches("a/#", "a"));
    CHECK(topic_matches("#", "a/b"));
    CHECK_FALSE(topic_matches("#", "$aws/things/t/jobs/notify"));
    CHECK_FALSE(topic_matches("+/things/t", "$aws/things/t"));
    CHECK(topic_matches("$aws/things/+/jobs/#", "$aws/things/t/jobs/notify-next"));
    CHECK_FALSE(topic_matches("a/b", "a/b/c"));
    CHECK_FALSE(topic_matches("a/b/c", "a/b"));
    CHECK(topic_matches("a/+", "a/"));
}

TEST_CASE("connect, subscribe, publish: each answer after the network's latency", "[simulation]") {
    World w;
    Client a;
    Client b;
    const auto ca = w.broker.connect("a", true, a.callbacks());
    const auto cb = w.broker.connect("b", true, b.callbacks());
    w.scheduler.run_until(milliseconds(1));
    CHECK(a.events.empty()); // nothing arrives in no time
    w.settle();
    CHECK(a.events == std::vector<std::string>{"connected"});
    w.broker.subscribe(ca, "t/+", 1, 1);
    w.settle();
    w.broker.publish(cb, "t/x", "hello", 1, 9);
    w.broker.publish(cb, "u/x", "nobody", 1, 10);
    w.settle();
    CHECK(a.events == std::vector<std::string>{"connected", "suback 1", "t/x hello"});
    CHECK(b.events == std::vector<std::string>{"connected", "puback 9", "puback 10"});
    w.broker.unsubscribe(ca, "t/+", 2);
    w.settle();
    w.broker.publish(cb, "t/x", "again", 0, 11);
    w.settle();
    CHECK(a.events.back() == "unsuback 2");
    CHECK(b.events.back() == "puback 11");
    CHECK(w.broker.messages_delivered() == 1);
}

TEST_CASE("a connection keeps its messages in order whatever the jitter", "[simulation]") {
    World w;
    Client a;
    Client b;
    const auto ca = w.broker.connect("a", true, a.callbacks());
    const auto cb = w.broker.connect("b", true, b.callbacks());
    w.settle();
    w.broker.subscribe(ca, "seq", 1, 1);
    w.settle();
    for (int i = 0; i < 100; ++i) {
        w.broker.publish(cb, "seq", std::to_string(i), 1, static_cast<std::uint32_t>(i));
    }
    w.settle();
    std::vector<std::string> expected{"connected", "suback 1"};
    for (int i = 0; i < 100; ++i) {
        expected.push_back("seq " + std::to_string(i));
    }
    CHECK(a.events == expected);
}

TEST_CASE("a persistent session keeps subscriptions and QoS 1 messages", "[simulation]") {
    World w;
    Client a;
    Client b;
    auto ca = w.broker.connect("a", false, a.callbacks());
    const auto cb = w.broker.connect("b", true, b.callbacks());
    w.settle();
    w.broker.subscribe(ca, "news", 1, 1);
    w.settle();
    w.broker.disconnect(ca);
    w.broker.publish(cb, "news", "while away", 1, 1);
    w.settle();
    CHECK(a.events == std::vector<std::string>{"connected", "suback 1"});
    ca = w.broker.connect("a", false, a.callbacks());
    w.settle();
    CHECK(a.events == std::vector<std::string>{"connected", "suback 1", "connected+session",
                                               "news while away"});

    SECTION("a clean session forgets it") {
        w.broker.disconnect(ca);
        w.broker.publish(cb, "news", "lost", 1, 2);
        w.settle();
        Client fresh;
        w.broker.connect("a", true, fresh.callbacks());
        w.settle();
        w.broker.publish(cb, "news", "not subscribed", 1, 3);
        w.settle();
        CHECK(fresh.events == std::vector<std::string>{"connected"});
    }
}

TEST_CASE("a message on its way when the connection breaks is sent again to a persistent "
          "session",
          "[simulation]") {
    World w;
    Client a;
    Client b;
    auto ca = w.broker.connect("a", false, a.callbacks());
    const auto cb = w.broker.connect("b", true, b.callbacks());
    w.settle();
    w.broker.subscribe(ca, "news", 1, 1);
    w.settle();
    bool at_broker = false;
    w.broker.set_on_publish(
        [&](const std::string&, const std::string&, const std::string&) { at_broker = true; });
    w.broker.publish(cb, "news", "in flight", 1, 1);
    // Run until the broker has routed it (it is on its way to a, which takes the network's
    // latency), then cut a's connection.
    while (!at_broker) {
        REQUIRE(w.scheduler.run_one());
    }
    CHECK(w.broker.messages_delivered() == 0);
    w.broker.drop(ca);
    w.settle();
    CHECK(a.events == std::vector<std::string>{"connected", "suback 1"});
    w.broker.connect("a", false, a.callbacks());
    w.settle();
    CHECK(a.events.back() == "news in flight");
}

TEST_CASE("a second connection with the same client id takes over", "[simulation]") {
    World w;
    Client first;
    Client second;
    w.broker.connect("dev", true, first.callbacks());
    w.settle();
    w.broker.connect("dev", true, second.callbacks());
    w.settle();
    CHECK(first.events == std::vector<std::string>{"connected", "lost"});
    CHECK(second.events == std::vector<std::string>{"connected"});
    CHECK(w.broker.connection_count() == 1);
}

TEST_CASE("the broker stops: connections are lost, connects fail until it starts again",
          "[simulation]") {
    World w;
    Client a;
    const auto ca = w.broker.connect("a", false, a.callbacks());
    w.settle();
    w.broker.subscribe(ca, "x", 1, 1);
    w.settle();
    w.broker.stop();
    CHECK_FALSE(w.broker.running());
    w.settle();
    CHECK(a.events.back() == "lost");
    w.broker.connect("a", false, a.callbacks());
    w.settle();
    CHECK(a.events.back() == "connect_failed");
    w.broker.start();
    w.broker.connect("a", false, a.callbacks());
    w.settle();
    // Persistence is off, as in the embedded stack's Mosquitto: no session survives.
    CHECK(a.events.back() == "connected");
}

TEST_CASE("the host's policy refuses subscriptions and publishes", "[simulation]") {
    World w;
    std::vector<std::string> seen;
    w.broker.set_authorize(
        [](std::string_view, std::string_view topic, MqttAccess access, int, std::size_t) {
            return !(access == MqttAccess::subscribe && topic == "secret") &&
                   !(access == MqttAccess::publish && topic == "forbidden");
        });
    w.broker.set_on_publish(
        [&](const std::string& client, const std::string& topic, const std::string& payload) {
            seen.push_back(client + " " + topic + " " + payload);
        });
    Client a;
    const auto ca = w.broker.connect("a", true, a.callbacks());
    w.settle();
    w.broker.subscribe(ca, "secret", 1, 1);
    w.broker.publish(ca, "forbidden", "x", 1, 2);
    w.broker.publish(ca, "fine", "y", 1, 3);
    w.settle();
    CHECK(a.events ==
          std::vector<std::string>{"connected", "suback 1 refused", "puback 2", "puback 3"});
    CHECK(seen == std::vector<std::string>{"a fine y"});
}

TEST_CASE("the cloud delivers to one client without a subscription", "[simulation]") {
    World w;
    Client a;
    Client b;
    const auto cb = w.broker.connect("b", true, b.callbacks());
    w.broker.connect("a", true, a.callbacks());
    w.settle();
    w.broker.subscribe(cb, "#", 1, 1);
    w.settle();
    w.broker.deliver("a", "reply/accepted", "{}");
    w.broker.deliver("", "broadcast", "all");
    w.settle();
    CHECK(a.events == std::vector<std::string>{"connected", "reply/accepted {}"});
    CHECK(b.events == std::vector<std::string>{"connected", "suback 1", "broadcast all"});
}

TEST_CASE("routing through the subscription index agrees with matching every session",
          "[simulation]") {
    // A model of MQTT routing, as the broker did it before it indexed subscriptions: every
    // session's filters matched against every topic. Random connects (clean and persistent),
    // subscriptions to exact and wildcard filters, unsubscriptions, disconnects, broker restarts,
    // publishes from clients and from the cloud; each client must receive exactly the messages
    // the model routes to it.
    const std::vector<std::string> filters{"a/b", "a/c",      "a/+",      "a/#", "#",
                                           "x",   "$aws/t/1", "$aws/t/+", "+/b"};
    const std::vector<std::string> topics{"a/b", "a/c", "a/d", "x", "$aws/t/1", "$aws/t/2", "z/b"};
    struct ModelClient {
        Client client;
        Broker::ConnectionId connection = 0;
        bool connected = false;
        bool persistent = false;
        std::set<std::string> filters;
        std::multiset<std::string> expected;
        std::vector<std::string> pending; ///< routed while disconnected, for a persistent session
    };
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
        World w;
        fota::sim::simulation::Random random(seed);
        std::vector<ModelClient> clients(6);
        int sent = 0;
        const auto route = [&](const std::string& topic) {
            const std::string payload = std::to_string(++sent);
            for (ModelClient& c : clients) {
                const bool match =
                    std::any_of(c.filters.begin(), c.filters.end(),
                                [&](const auto& f) { return topic_matches(f, topic); });
                if (!match) {
                    continue;
                }
                if (c.connected) {
                    c.expected.insert(topic + " " + payload);
                } else {
                    c.pending.push_back(topic + " " + payload);
                }
            }
            return payload;
        };
        for (int step = 0; step < 400; ++step) {
            const auto index = static_cast<std::size_t>(random.below(clients.size()));
            ModelClient& c = clients[index];
            const std::string id = "c" + std::to_string(index);
            const auto action = random.below(100);
            if (!c.connected && action < 60) {
                const bool clean = random.below(2) == 0;
                c.connection = w.broker.connect(id, clean, c.client.callbacks());
                if (clean || !c.persistent) {
                    c.filters.clear();
                    c.pending.clear();
                }
                for (const std::string& message : c.pending) {
                    c.expected.insert(message);
                }
                c.pending.clear();
                c.persistent = !clean;
                c.connected = true;
            } else if (c.connected && action < 40) {
                const std::string& filter = filters[random.below(filters.size())];
                w.broker.subscribe(c.connection, filter, 1, 1);
                c.filters.insert(filter);
            } else if (c.connected && action < 50) {
                const std::string& filter = filters[random.below(filters.size())];
                w.broker.unsubscribe(c.connection, filter, 2);
                c.filters.erase(filter);
            } else if (c.connected && action < 58) {
                w.broker.disconnect(c.connection);
                c.connected = false;
                if (!c.persistent) {
                    c.filters.clear();
                }
            } else if (action < 60) {
                w.broker.stop();
                w.broker.start();
                for (ModelClient& each : clients) {
                    each.connected = false;
                    each.persistent = false;
                    each.filters.clear();
                    each.pending.clear();
                }
            } else if (c.connected && action < 85) {
                const std::string& topic = topics[random.below(topics.size())];
                w.broker.publish(c.connection, topic, route(topic), 1, 3);
            } else if (action >= 85) {
                const std::string& topic = topics[random.below(topics.size())];
                w.broker.deliver("", topic, route(topic));
            }
            w.settle();
        }
        for (std::size_t i = 0; i < clients.size(); ++i) {
            std::multiset<std::string> received;
            for (const std::string& event : clients[i].client.events) {
                if (event.find(' ') != std::string::npos && event.rfind("suback", 0) != 0 &&
                    event.rfind("unsuback", 0) != 0 && event.rfind("puback", 0) != 0) {
                    received.insert(event);
                }
            }
            INFO("seed " << seed << ", client c" << i);
            CHECK(received == clients[i].expected);
        }
    }
}
