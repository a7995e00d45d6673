// The Asio MQTT session (asio_mqtt_client.hpp) and its packets (mqtt_wire.hpp) against a scripted
// broker: a TCP listener in the test that answers with exactly the bytes each case needs (a
// refusal, a malformed packet, an oversized one, silence, a message split byte by byte). What a
// real Mosquitto does with both sessions is in test_mqtt_client.cpp.
#include "fota/sim/asio_mqtt_client.hpp"
#include "fota/sim/mqtt_wire.hpp"
#include "support/test_support.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <memory>
#include <string>
#include <vector>

using namespace fota::sim;
using namespace fota::sim::mqtt311;
using boost::asio::ip::tcp;
using fota::sim::test::run_until;

namespace {

// Everything the session reported.
struct Seen {
    int connects = 0;
    std::vector<MqttDisconnect> disconnects;
    std::vector<std::pair<std::string, std::string>> messages;
};

// One scripted broker connection at a time: accept, then `on_packet` decides what to answer to
// each whole packet the client sends; the bytes of every connection are kept, in order.
class ScriptedBroker {
public:
    explicit ScriptedBroker(boost::asio::io_context& io)
        : acceptor_(io, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)), pacer_(io) {
        accept();
    }

    std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

    std::function<void(ScriptedBroker&, const Packet&)> on_packet;
    std::vector<std::string> connections; // the bytes the client sent, per connection
    int resets = 0;                       // connections the client ended with a reset

    const std::string& received() const {
        static const std::string none;
        return connections.empty() ? none : connections.back();
    }

    void send(const std::string& bytes) {
        auto copy = std::make_shared<std::string>(bytes);
        boost::asio::async_write(*socket_, boost::asio::buffer(*copy),
                                 [copy](boost::system::error_code, std::size_t) {});
    }

    // One byte at a time, 2 ms apart (Nagle off), so the client reads them one by one.
    void send_slowly(std::string bytes) {
        boost::system::error_code ignored;
        socket_->set_option(tcp::no_delay(true), ignored);
        trickle(std::make_shared<std::string>(std::move(bytes)), 0);
    }

private:
    void trickle(const std::shared_ptr<std::string>& bytes, std::size_t at) {
        if (at == bytes->size()) {
            return;
        }
        send(bytes->substr(at, 1));
        pacer_.expires_after(std::chrono::milliseconds(2));
        pacer_.async_wait([this, bytes, at](boost::system::error_code ec) {
            if (!ec) {
                trickle(bytes, at + 1);
            }
        });
    }

    void accept() {
        socket_ = std::make_shared<tcp::socket>(acceptor_.get_executor());
        acceptor_.async_accept(*socket_, [this, socket = socket_](boost::system::error_code ec) {
            if (ec) {
                return;
            }
            connections.emplace_back();
            parsed_ = 0;
            read(socket);
        });
    }

    void read(const std::shared_ptr<tcp::socket>& socket) {
        auto chunk = std::make_shared<std::array<char, 4096>>();
        socket->async_read_some(
            boost::asio::buffer(*chunk),
            [this, socket, chunk](boost::system::error_code ec, std::size_t length) {
                if (ec) {
                    resets += ec == boost::asio::error::connection_reset ? 1 : 0;
                    accept();
                    return;
                }
                connections.back().append(chunk->data(), length);
                std::string_view rest = std::string_view(connections.back()).substr(parsed_);
                Packet packet;
                std::size_t used = 0;
                while (read_packet(rest, packet, used) == ReadStatus::packet) {
                    parsed_ += used;
                    rest.remove_prefix(used);
                    if (on_packet) {
                        on_packet(*this, packet);
                    }
                }
                read(socket);
            });
    }

    tcp::acceptor acceptor_;
    boost::asio::steady_timer pacer_;
    std::shared_ptr<tcp::socket> socket_;
    std::size_t parsed_ = 0;
};

MqttOptions options_for(std::uint16_t port) {
    MqttOptions options;
    options.host = "127.0.0.1";
    options.port = port;
    options.client_id = "thing-scripted";
    options.keep_alive_s = 30;
    options.connect_timeout_s = 2;
    options.reconnect_min_ms = 50;
    options.reconnect_max_ms = 200;
    return options;
}

std::unique_ptr<AsioMqttClient> make_client(const Strand& strand, MqttOptions options, Seen& seen) {
    MqttHandlers handlers;
    handlers.on_connected = [&seen](bool) { ++seen.connects; };
    handlers.on_disconnected = [&seen](const MqttDisconnect& why) {
        seen.disconnects.push_back(why);
    };
    handlers.on_message = [&seen](std::string_view topic, std::string_view payload) {
        seen.messages.emplace_back(std::string(topic), std::string(payload));
    };
    return std::make_unique<AsioMqttClient>(strand, std::move(options), std::move(handlers));
}

void on_strand(boost::asio::io_context& io, const Strand& strand,
               const std::function<void()>& work) {
    bool done = false;
    boost::asio::post(strand, [&] {
        work();
        done = true;
    });
    REQUIRE(run_until(io, [&] { return done; }));
}

const std::string kConnackAccepted("\x20\x02\x00\x00", 4);

// A CONNACK for every CONNECT (and nothing else) unless a case replaces it.
void accept_every_connect(ScriptedBroker& broker, const Packet& packet) {
    if (packet.type == PacketType::connect) {
        broker.send(kConnackAccepted);
    }
}

} // namespace

TEST_CASE("MQTT packets: what is built reads back, a stream splits into whole packets",
          "[mqtt][wire]") {
    const std::string publish = publish_packet(7, "t/a", std::string("x\0y", 3));
    Packet packet;
    std::size_t used = 0;
    REQUIRE(read_packet(publish, packet, used) == ReadStatus::packet);
    CHECK(used == publish.size());
    CHECK(packet.type == PacketType::publish);
    CHECK(packet.qos == 1);
    CHECK(packet.packet_id == 7);
    CHECK(packet.topic == "t/a");
    CHECK(packet.payload == std::string_view("x\0y", 3));
    // Every proper prefix needs more, never reads as a packet or as malformed.
    for (std::size_t n = 0; n < publish.size(); ++n) {
        CHECK(read_packet(std::string_view(publish).substr(0, n), packet, used) ==
              ReadStatus::need_more);
    }

    const std::string big = publish_packet(1, "t", std::string(200'000, 'z'));
    CHECK(announced_length(big) == big.size());
    CHECK(announced_length(big.substr(0, 2)) == 0); // the length is three bytes long

    const std::string stream = kConnackAccepted + puback_packet(9) + std::string("\xd0\x00", 2);
    std::string_view rest = stream;
    std::vector<PacketType> types;
    while (read_packet(rest, packet, used) == ReadStatus::packet) {
        types.push_back(packet.type);
        rest.remove_prefix(used);
    }
    CHECK(rest.empty());
    CHECK(types ==
          std::vector<PacketType>{PacketType::connack, PacketType::puback, PacketType::pingresp});

    REQUIRE(read_packet(std::string("\x20\x02\x01\x05", 4), packet, used) == ReadStatus::packet);
    CHECK(packet.session_present);
    CHECK(packet.return_code == 5);
    CHECK(connack_reason(5) == "not authorized");
    CHECK(connect_packet("c", 30, false)[9] == 0x00);
    CHECK(connect_packet("c", 30, true)[9] == 0x02);
}

TEST_CASE("MQTT packets: malformed input is refused with a reason", "[mqtt][wire]") {
    const auto refused = [](const std::string& bytes, const std::string& reason) {
        Packet packet;
        std::size_t used = 0;
        std::string error;
        INFO(reason);
        CHECK(read_packet(bytes, packet, used, &error) == ReadStatus::malformed);
        CHECK(error.find(reason) != std::string::npos);
    };
    refused(std::string("\x36\x03\x00\x01t", 5), "QoS 3");
    refused(std::string("\x00\x00", 2), "reserved packet type");
    refused(std::string("\xf0\x00", 2), "reserved packet type");
    refused(std::string("\x30\xff\xff\xff\xff\x01", 6), "longer than four bytes");
    refused(std::string("\x20\x03\x00\x00\x00", 5), "CONNACK");
    refused(std::string("\x20\x02\x02\x00", 4), "CONNACK");
    refused(std::string("\x41\x02\x00\x01", 4), "flags");
    refused(std::string("\x32\x04\x00\x05t/", 6), "PUBLISH shorter");
    refused(std::string("\x90\x02\x00\x01", 4), "SUBACK without a return code");
    refused(std::string("\xd0\x01\x00", 3), "with a body");
}

TEST_CASE("Asio MQTT session against a scripted broker", "[mqtt][asio]") {
    boost::asio::io_context io;
    const Strand strand = boost::asio::make_strand(io);
    ScriptedBroker broker(io);
    Seen seen;
    MqttOptions options = options_for(broker.port());

    SECTION("a refused CONNACK is a refused attempt, and the session tries again") {
        broker.on_packet = [](ScriptedBroker& b, const Packet& packet) {
            if (packet.type == PacketType::connect) {
                b.send(std::string("\x20\x02\x00\x05", 4));
            }
        };
        auto client = make_client(strand, options, seen);
        on_strand(io, strand, [&] { client->start(); });
        REQUIRE(run_until(io, [&] { return seen.disconnects.size() >= 2; }));
        CHECK(seen.connects == 0);
        CHECK(seen.disconnects[0].refused);
        CHECK(seen.disconnects[0].reason ==
              "connect failed: the broker refused the connection: not authorized (CONNACK return "
              "code 5)");
        CHECK(broker.connections.size() >= 2);
    }
    SECTION("no CONNACK within connect_timeout_s") {
        options.connect_timeout_s = 1;
        auto client = make_client(strand, options, seen);
        on_strand(io, strand, [&] { client->start(); });
        REQUIRE(run_until(io, [&] { return !seen.disconnects.empty(); }));
        CHECK(seen.disconnects[0].reason == "connect failed: no CONNACK within 1 s");
        CHECK(seen.disconnects[0].refused);
    }
    SECTION("a malformed packet ends the session, which reconnects") {
        broker.on_packet = [](ScriptedBroker& b, const Packet& packet) {
            if (packet.type == PacketType::connect) {
                b.send(kConnackAccepted + std::string("\x36\x03\x00\x01t", 5));
            }
        };
        auto client = make_client(strand, options, seen);
        on_strand(io, strand, [&] { client->start(); });
        REQUIRE(run_until(io, [&] { return seen.connects >= 2; }));
        REQUIRE_FALSE(seen.disconnects.empty());
        CHECK_FALSE(seen.disconnects[0].refused);
        CHECK(seen.disconnects[0].reason ==
              "connection lost: malformed packet from the broker: PUBLISH with QoS 3");
    }
    SECTION("a packet over the limit ends the session before it is buffered") {
        broker.on_packet = [](ScriptedBroker& b, const Packet& packet) {
            if (packet.type == PacketType::connect) {
                // PUBLISH announcing 2 MiB (remaining length 0x800000), only its header sent.
                b.send(kConnackAccepted + std::string("\x30\x80\x80\x80\x01", 5));
            }
        };
        auto client = make_client(strand, options, seen);
        on_strand(io, strand, [&] { client->start(); });
        REQUIRE(run_until(io, [&] { return !seen.disconnects.empty(); }));
        CHECK(seen.disconnects[0].reason ==
              "connection lost: a packet of 2097157 bytes from the broker (at most 1048576 "
              "accepted)");
    }
    SECTION("a message split byte by byte arrives whole and is acknowledged") {
        const std::string message = publish_packet(0x1234, "t/split", "payload");
        broker.on_packet = [&](ScriptedBroker& b, const Packet& packet) {
            if (packet.type != PacketType::connect) {
                return;
            }
            b.send(kConnackAccepted);
            b.send_slowly(message);
        };
        auto client = make_client(strand, options, seen);
        on_strand(io, strand, [&] { client->start(); });
        REQUIRE(run_until(io, [&] {
            return !seen.messages.empty() &&
                   broker.received().find(puback_packet(0x1234)) != std::string::npos;
        }));
        CHECK(seen.messages[0] == std::make_pair(std::string("t/split"), std::string("payload")));
        CHECK(client->stats().messages_received == 1);
    }
    SECTION("a silent broker: PINGREQ after the keep-alive, the session lost after another") {
        options.keep_alive_s = 1;
        broker.on_packet = accept_every_connect;
        auto client = make_client(strand, options, seen);
        on_strand(io, strand, [&] { client->start(); });
        REQUIRE(run_until(io, [&] { return !seen.disconnects.empty(); }));
        CHECK(seen.connects == 1);
        CHECK(broker.received().find(pingreq_packet()) != std::string::npos);
        CHECK(seen.disconnects[0].reason ==
              "connection lost: no PINGRESP within the keep-alive (1 s)");
    }
    SECTION("stop sends DISCONNECT; drop_connection resets the connection") {
        broker.on_packet = accept_every_connect;
        auto client = make_client(strand, options, seen);
        on_strand(io, strand, [&] { client->start(); });
        REQUIRE(run_until(io, [&] { return seen.connects == 1; }));
        on_strand(io, strand, [&] { client->drop_connection(); });
        REQUIRE(run_until(io, [&] { return broker.resets == 1 && seen.connects == 2; }));
        CHECK(broker.connections.at(0).find(disconnect_packet()) == std::string::npos);
        CHECK(seen.disconnects.at(0).reason == "dropped by fault");
        on_strand(io, strand, [&] { client->stop(); });
        REQUIRE(run_until(
            io, [&] { return broker.received().find(disconnect_packet()) != std::string::npos; }));
        CHECK(seen.disconnects.back().reason == "stopped");
        CHECK_FALSE(client->connected());
    }
    SECTION("the owner may destroy the session inside its own message handler") {
        broker.on_packet = [](ScriptedBroker& b, const Packet& packet) {
            if (packet.type == PacketType::connect) {
                b.send(kConnackAccepted + publish_packet(1, "t/reboot", "now") +
                       publish_packet(2, "t/after", "never seen"));
            }
        };
        std::unique_ptr<AsioMqttClient> client;
        int messages = 0;
        MqttHandlers handlers;
        handlers.on_message = [&](std::string_view, std::string_view) {
            ++messages;
            client.reset(); // a device's reboot from inside the handler
        };
        client = std::make_unique<AsioMqttClient>(strand, options, std::move(handlers));
        on_strand(io, strand, [&] { client->start(); });
        REQUIRE(run_until(io, [&] { return messages == 1 && client == nullptr; }));
        // The second message of the same read never reaches the destroyed session's owner.
        io.run_for(std::chrono::milliseconds(100));
        CHECK(messages == 1);
    }
    SECTION("go_offline: attempts fail at once until the network is back") {
        broker.on_packet = accept_every_connect;
        auto client = make_client(strand, options, seen);
        on_strand(io, strand, [&] {
            client->go_offline(std::chrono::milliseconds(300));
            client->start();
        });
        REQUIRE(run_until(io, [&] { return seen.connects == 1; }));
        CHECK(client->stats().offline_attempts >= 1);
        CHECK(broker.connections.size() == 1);
    }
}
