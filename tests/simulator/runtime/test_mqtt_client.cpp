// Both MQTT sessions of the Asio host (Paho's and fota-sim's own on Asio) against a real Mosquitto
// started by the test, each test case once per implementation: publish/subscribe, reconnection
// after a loss or a broker restart, the device-side faults, and mutual TLS with a certificate the
// broker requires (and a wrong one it refuses).
#include "common/tcp_nodelay.hpp"
#include "fota/sim/asio_device_host.hpp"
#include "fota/sim/asio_mqtt_client.hpp"
#include "fota/sim/paho_mqtt_client.hpp"
#include "support/test_support.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/post.hpp>

#include <filesystem>
#include <string>
#include <vector>

using namespace fota::sim;
using fota::sim::test::MosquittoProcess;
using fota::sim::test::run_until;
using fota::sim::test::TempDir;

namespace {

// One client and everything it observed.
struct Observed {
    int connects = 0;
    int disconnects = 0;
    bool last_refused = false;
    std::vector<std::pair<std::string, std::string>> messages;
};

MqttOptions options_for(std::uint16_t port, const std::string& client_id) {
    MqttOptions options;
    options.host = "127.0.0.1";
    options.port = port;
    options.client_id = client_id;
    options.keep_alive_s = 30;
    options.reconnect_min_ms = 50;
    options.reconnect_max_ms = 400;
    return options;
}

// The implementation under test: each test case runs once per implementation (every section of
// it too).
MqttImplementation implementation = MqttImplementation::paho;

#define FOR_EACH_MQTT_CLIENT()                                                                     \
    implementation = GENERATE(MqttImplementation::paho, MqttImplementation::asio);                 \
    INFO("MQTT client: " << to_string(implementation))

std::unique_ptr<MqttClient> make_client(Strand strand, MqttOptions options, Observed& seen) {
    MqttHandlers handlers;
    handlers.on_connected = [&seen](bool) { ++seen.connects; };
    handlers.on_disconnected = [&seen](const MqttDisconnect& why) {
        ++seen.disconnects;
        seen.last_refused = why.refused;
    };
    handlers.on_message = [&seen](std::string_view topic, std::string_view payload) {
        seen.messages.emplace_back(std::string(topic), std::string(payload));
    };
    if (implementation == MqttImplementation::asio) {
        return std::make_unique<AsioMqttClient>(std::move(strand), std::move(options), handlers);
    }
    return std::make_unique<PahoMqttClient>(std::move(strand), std::move(options), handlers);
}

void on_strand(boost::asio::io_context& io, Strand& strand, const std::function<void()>& work) {
    bool done = false;
    boost::asio::post(strand, [&] {
        work();
        done = true;
    });
    REQUIRE(run_until(io, [&] { return done; }));
}

} // namespace

TEST_CASE("The session's socket has Nagle off (no wait for the broker's delayed ACK)", "[mqtt]") {
    FOR_EACH_MQTT_CLIENT();
    TempDir dir;
    MosquittoProcess broker(dir.path());
    boost::asio::io_context io;
    auto strand = boost::asio::make_strand(io);
    Observed seen;
    auto client = make_client(strand, options_for(broker.port(), "thing-nodelay"), seen);
    on_strand(io, strand, [&] { client->start(); });
    REQUIRE(run_until(io, [&] { return seen.connects == 1; }));
    // Paho leaves Nagle on (paho_tcp_nodelay.hpp): a publish right after its PUBACK waited
    // ~40 ms for the broker's delayed ACK.
    const std::vector<bool> nodelay = fota::test::nodelay_of_sockets_with_peer(broker.port());
    REQUIRE(nodelay.size() == 1);
    CHECK(nodelay.front());
    on_strand(io, strand, [&] { client->stop(); });
}

TEST_CASE("Publish and subscribe at QoS 1 through a real broker", "[mqtt]") {
    FOR_EACH_MQTT_CLIENT();
    TempDir dir;
    MosquittoProcess broker(dir.path());
    boost::asio::io_context io;
    auto strand_a = boost::asio::make_strand(io);
    auto strand_b = boost::asio::make_strand(io);
    Observed a;
    Observed b;
    auto client_a = make_client(strand_a, options_for(broker.port(), "thing-a"), a);
    auto client_b = make_client(strand_b, options_for(broker.port(), "thing-b"), b);

    on_strand(io, strand_a, [&] {
        CHECK(client_a->subscribe("t/a") == MqttClient::Result::NotConnected);
        CHECK(client_a->publish("t/a", "x") == MqttClient::Result::NotConnected);
        client_a->start();
    });
    on_strand(io, strand_b, [&] { client_b->start(); });
    REQUIRE(run_until(io, [&] { return a.connects == 1 && b.connects == 1; }));

    // The broker handles one connection's packets in order: our own echo proves the
    // subscription is in place before anyone else publishes.
    on_strand(io, strand_a, [&] {
        REQUIRE(client_a->subscribe("t/a") == MqttClient::Result::Ok);
        REQUIRE(client_a->publish("t/a", "echo") == MqttClient::Result::Ok);
    });
    REQUIRE(run_until(io, [&] { return a.messages.size() == 1; }));
    on_strand(io, strand_b, [&] {
        REQUIRE(client_b->publish("t/a", std::string("from b\0binary", 13)) ==
                MqttClient::Result::Ok);
    });
    REQUIRE(run_until(io, [&] { return a.messages.size() == 2; }));
    CHECK(a.messages[0] == std::make_pair(std::string("t/a"), std::string("echo")));
    CHECK(a.messages[1].second == std::string("from b\0binary", 13));
    CHECK(b.messages.empty());

    // Unsubscribed: our own publish no longer comes back (the second, on a subscribed topic,
    // proves the first was processed).
    on_strand(io, strand_a, [&] {
        REQUIRE(client_a->subscribe("t/witness") == MqttClient::Result::Ok);
        REQUIRE(client_a->unsubscribe("t/a") == MqttClient::Result::Ok);
        REQUIRE(client_a->publish("t/a", "not for me") == MqttClient::Result::Ok);
        REQUIRE(client_a->publish("t/witness", "w") == MqttClient::Result::Ok);
    });
    REQUIRE(run_until(io, [&] { return a.messages.size() == 3; }));
    CHECK(a.messages[2].first == "t/witness");

    on_strand(io, strand_a, [&] { client_a->stop(); });
    CHECK(a.disconnects == 1);
    CHECK_FALSE(client_a->connected());
}

TEST_CASE("Device-side faults: lose the next message, drop the connection", "[mqtt][faults]") {
    FOR_EACH_MQTT_CLIENT();
    TempDir dir;
    MosquittoProcess broker(dir.path());
    boost::asio::io_context io;
    auto strand = boost::asio::make_strand(io);
    Observed seen;
    auto client = make_client(strand, options_for(broker.port(), "thing-f"), seen);
    on_strand(io, strand, [&] { client->start(); });
    REQUIRE(run_until(io, [&] { return seen.connects == 1; }));

    on_strand(io, strand, [&] {
        REQUIRE(client->subscribe("t/f") == MqttClient::Result::Ok);
        client->lose_next_message();
        REQUIRE(client->publish("t/f", "lost") == MqttClient::Result::Ok);
        REQUIRE(client->publish("t/f", "kept") == MqttClient::Result::Ok);
    });
    REQUIRE(run_until(io, [&] { return seen.messages.size() == 1; }));
    CHECK(seen.messages[0].second == "kept");
    CHECK(client->stats().messages_dropped_by_fault == 1);
    CHECK(client->stats().messages_received == 2);

    on_strand(io, strand, [&] { client->drop_connection(); });
    CHECK(seen.disconnects == 1);
    REQUIRE(run_until(io, [&] { return seen.connects == 2; }));
    CHECK(client->stats().connections == 2);
    // The broker saw the first session end and a second one begin.
    INFO(broker.log());
    const auto count = [](const std::string& text, const std::string& what) {
        std::size_t n = 0;
        for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
            ++n;
        }
        return n;
    };
    CHECK(count(broker.log(), " as thing-f ") == 2);

    // A fresh session (clean session): subscribe again and traffic flows.
    on_strand(io, strand, [&] {
        REQUIRE(client->subscribe("t/f") == MqttClient::Result::Ok);
        REQUIRE(client->publish("t/f", "after") == MqttClient::Result::Ok);
    });
    REQUIRE(run_until(io, [&] { return seen.messages.size() == 2; }));
    CHECK(seen.messages[1].second == "after");
}

TEST_CASE("The session comes back after the broker restarts", "[mqtt]") {
    FOR_EACH_MQTT_CLIENT();
    TempDir dir;
    MosquittoProcess broker(dir.path());
    boost::asio::io_context io;
    auto strand = boost::asio::make_strand(io);
    Observed seen;
    auto client = make_client(strand, options_for(broker.port(), "thing-r"), seen);
    on_strand(io, strand, [&] { client->start(); });
    REQUIRE(run_until(io, [&] { return seen.connects == 1; }));
    broker.stop();
    REQUIRE(run_until(io, [&] { return seen.disconnects >= 1; }));
    CHECK_FALSE(client->connected());
    // Reconnect attempts fail while the broker is down; each is reported.
    REQUIRE(run_until(io, [&] { return client->stats().connect_attempts >= 3; }));
    broker.restart();
    REQUIRE(run_until(io, [&] { return seen.connects == 2; }));
    CHECK(client->connected());
}

TEST_CASE("Mutual TLS: the right client certificate is accepted, a wrong one refused",
          "[mqtt][tls]") {
    FOR_EACH_MQTT_CLIENT();
    TempDir dir;
    const auto pki = fota::sim::test::make_test_pki(dir.path(), "thing-tls");
    MosquittoProcess::Tls tls{pki.ca_cert, pki.server_cert, pki.server_key, true};
    MosquittoProcess broker(dir.path(), &tls);
    boost::asio::io_context io;
    auto strand = boost::asio::make_strand(io);

    auto tls_options = [&](const std::filesystem::path& cert, const std::filesystem::path& key) {
        MqttOptions options = options_for(broker.port(), "thing-tls");
        options.host = "localhost"; // verified against the server certificate's name (SNI too)
        options.use_tls = true;
        options.tls.ca_file = pki.ca_cert.string();
        options.tls.cert_file = cert.string();
        options.tls.key_file = key.string();
        return options;
    };

    SECTION("certificate signed by the broker's CA") {
        Observed seen;
        auto client = make_client(strand, tls_options(pki.client_cert, pki.client_key), seen);
        on_strand(io, strand, [&] { client->start(); });
        REQUIRE(run_until(io, [&] { return seen.connects == 1; }));
        on_strand(io, strand, [&] {
            REQUIRE(client->subscribe("t/tls") == MqttClient::Result::Ok);
            REQUIRE(client->publish("t/tls", "secret") == MqttClient::Result::Ok);
        });
        REQUIRE(run_until(io, [&] { return seen.messages.size() == 1; }));
        CHECK(seen.messages[0].second == "secret");
        CHECK(seen.disconnects == 0);
    }
    SECTION("certificate from another CA") {
        Observed seen;
        auto client = make_client(strand, tls_options(pki.rogue_cert, pki.rogue_key), seen);
        on_strand(io, strand, [&] { client->start(); });
        REQUIRE(run_until(io, [&] { return seen.disconnects >= 2; }));
        CHECK(seen.connects == 0);
        CHECK_FALSE(client->connected());
        CHECK(seen.last_refused);
    }
    SECTION("no client certificate") {
        Observed seen;
        MqttOptions options = tls_options({}, {});
        auto client = make_client(strand, options, seen);
        on_strand(io, strand, [&] { client->start(); });
        REQUIRE(run_until(io, [&] { return seen.disconnects >= 2; }));
        CHECK(seen.connects == 0);
    }
    SECTION("server not trusted by the client") {
        Observed seen;
        MqttOptions options = tls_options(pki.client_cert, pki.client_key);
        options.tls.ca_file = (dir.path() / "rogue-ca.crt").string();
        auto client = make_client(strand, options, seen);
        on_strand(io, strand, [&] { client->start(); });
        REQUIRE(run_until(io, [&] { return seen.disconnects >= 2; }));
        CHECK(seen.connects == 0);
    }
}
