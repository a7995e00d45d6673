// Sessions given up while connected or still connecting, many rounds, while another Paho client
// of the process has a packet stuck half written and Paho's receive thread runs its loop without
// pause: the state in which Paho C 1.3.12 walks its list of clients without the lock that
// MQTTAsync_destroy takes (simulator/ports/src/paho_client_pool.hpp). When each given-up session's
// Paho client was destroyed (2 s later), this test died of SIGSEGV in Paho's receive thread; now
// no client is destroyed, and each is lent again once Paho has finished with it.
#include "fota/sim/paho_mqtt_client.hpp"
#include "support/test_support.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace fota::sim;
using fota::sim::test::MosquittoProcess;
using fota::sim::test::run_until;
using fota::sim::test::TempDir;

namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;

constexpr std::array<std::uint8_t, 4> kConnack{0x20, 0x02, 0x00, 0x00};
// Unread bytes at the peer that show the large publish is on its way (and stuck).
constexpr std::uint64_t kStalledBytes = 64ULL * 1024;

// A loopback MQTT peer of the test, on its own thread. Every connection gets a CONNACK at once.
// From flood() on, the first receives PINGRESPs as fast as Paho takes them (Paho takes an
// unasked-for one as proof of life), so Paho's receive thread goes round its loop all the time;
// the second is never read, so a large publish on it stays partly written. Bounded: it stops
// writing after kFloodLimit bytes or when destroyed.
class StallingPeer {
public:
    static constexpr std::uint64_t kFloodLimit = 1ULL << 30;

    StallingPeer() {
        const tcp::endpoint loopback(net::ip::address_v4::loopback(), 0);
        acceptor_.open(loopback.protocol());
        acceptor_.bind(loopback);
        acceptor_.listen();
        port_ = acceptor_.local_endpoint().port();
        pingresps_.resize(4096);
        for (std::size_t i = 0; i < pingresps_.size(); i += 2) {
            pingresps_[i] = 0xD0;
            pingresps_[i + 1] = 0x00;
        }
        accept();
        measure();
        thread_ = std::thread([this] { io_.run(); });
    }

    ~StallingPeer() {
        net::post(io_, [this] {
            stopped_ = true;
            boost::system::error_code ignored;
            acceptor_.close(ignored);
            timer_.cancel();
            for (auto& socket : sockets_) {
                socket->close(ignored);
            }
        });
        work_.reset();
        thread_.join();
    }

    StallingPeer(const StallingPeer&) = delete;
    StallingPeer& operator=(const StallingPeer&) = delete;

    std::uint16_t port() const { return port_; }
    /// Starts the PINGRESPs to the first connection.
    void flood() {
        net::post(io_, [this] {
            if (!sockets_.empty()) {
                flood_on(*sockets_.front());
            }
        });
    }
    std::uint64_t flooded() const { return flooded_.load(); }
    /// Bytes the second connection's client has sent that the peer left unread.
    std::uint64_t unread() const { return unread_.load(); }

private:
    void accept() {
        acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
            if (ec || stopped_) {
                return;
            }
            sockets_.push_back(std::make_unique<tcp::socket>(std::move(socket)));
            tcp::socket& peer = *sockets_.back();
            net::async_write(peer, net::buffer(kConnack),
                             [](boost::system::error_code, std::size_t) {});
            accept();
        });
    }

    void flood_on(tcp::socket& peer) {
        if (stopped_ || flooded_.load() >= kFloodLimit) {
            return;
        }
        net::async_write(peer, net::buffer(pingresps_),
                         [this, &peer](boost::system::error_code ec, std::size_t written) {
                             flooded_ += written;
                             if (!ec) {
                                 flood_on(peer);
                             }
                         });
    }

    void measure() {
        if (sockets_.size() >= 2) {
            boost::system::error_code ignored;
            unread_ = sockets_[1]->available(ignored);
        }
        timer_.expires_after(std::chrono::milliseconds(10));
        timer_.async_wait([this](boost::system::error_code ec) {
            if (!ec && !stopped_) {
                measure();
            }
        });
    }

    net::io_context io_;
    net::executor_work_guard<net::io_context::executor_type> work_ = net::make_work_guard(io_);
    tcp::acceptor acceptor_{io_};
    net::steady_timer timer_{io_};
    std::vector<std::unique_ptr<tcp::socket>> sockets_;
    std::vector<std::uint8_t> pingresps_;
    std::uint16_t port_ = 0;
    bool stopped_ = false;
    std::atomic<std::uint64_t> flooded_{0};
    std::atomic<std::uint64_t> unread_{0};
    std::thread thread_;
};

MqttOptions options_for(std::uint16_t port, const std::string& client_id) {
    MqttOptions options;
    options.host = "127.0.0.1";
    options.port = port;
    options.client_id = client_id;
    options.keep_alive_s = 60;
    options.reconnect_min_ms = 50;
    options.reconnect_max_ms = 400;
    return options;
}

struct Session {
    Session(net::io_context& io, MqttOptions options) : strand(net::make_strand(io)) {
        MqttHandlers handlers;
        handlers.on_connected = [this](bool) { ++connects; };
        client = std::make_unique<PahoMqttClient>(strand, std::move(options), handlers);
    }
    Strand strand;
    int connects = 0;
    std::unique_ptr<PahoMqttClient> client;
};

std::string describe(const PahoClientCounts& counts) {
    return "Paho clients: created " + std::to_string(counts.created) + ", idle " +
           std::to_string(counts.idle) + ", lent " + std::to_string(counts.lent) + ", retiring " +
           std::to_string(counts.retiring) + ", kept " + std::to_string(counts.kept);
}

// Starts each session on its strand.
void start_all(std::vector<std::unique_ptr<Session>>& sessions) {
    for (auto& session : sessions) {
        net::post(session->strand, [&session] { session->client->start(); });
    }
}

} // namespace

TEST_CASE("Sessions given up while connected or connecting never crash Paho's receive thread",
          "[mqtt][paho]") {
    constexpr int kRounds = 100;
    constexpr int kPerRound = 64;
    TempDir dir;
    MosquittoProcess broker(dir.path());
    StallingPeer peer;
    net::io_context io;
    const PahoClientCounts before = PahoMqttClient::paho_clients();

    // Rounds of sessions against the broker, given up once half of them are connected (the
    // others are still connecting). The first round's stay until the stalled write is in place,
    // so the clients Paho walks past to find the stalled one include sessions given up.
    auto make_round = [&](int round) {
        std::vector<std::unique_ptr<Session>> sessions;
        sessions.reserve(kPerRound);
        for (int i = 0; i < kPerRound; ++i) {
            sessions.push_back(std::make_unique<Session>(
                io, options_for(broker.port(), "churn-" + std::to_string(i))));
        }
        start_all(sessions);
        INFO("round " << round);
        REQUIRE(run_until(io, [&] {
            int connected = 0;
            for (const auto& session : sessions) {
                connected += session->connects > 0 ? 1 : 0;
            }
            return connected >= kPerRound / 2;
        }));
        return sessions;
    };
    auto first_round = make_round(0);

    // No keep-alive traffic on the peer's connections, however long the test takes.
    MqttOptions fixed_options = options_for(peer.port(), "flooded");
    fixed_options.keep_alive_s = 0;
    std::vector<std::unique_ptr<Session>> fixed;
    fixed.push_back(std::make_unique<Session>(io, fixed_options));
    start_all(fixed);
    REQUIRE(run_until(io, [&] { return fixed[0]->connects == 1; }));
    fixed_options.client_id = "stalled";
    fixed.push_back(std::make_unique<Session>(io, fixed_options));
    start_all(fixed);
    REQUIRE(run_until(io, [&] { return fixed[1]->connects == 1; }));
    // 32 MiB on a connection nobody reads: more than the kernel buffers on both ends (the peer's
    // stays at its first size, about 128 KiB, as nothing is read), so Paho keeps the rest as a
    // pending write for the whole test.
    const std::string big(32U << 20, 'x');
    bool published = false;
    net::post(fixed[1]->strand, [&] {
        published = fixed[1]->client->publish("t/stalled", big) == MqttClient::Result::Ok;
    });
    REQUIRE(run_until(io, [&] { return published && peer.unread() >= kStalledBytes; }));
    peer.flood();
    REQUIRE(run_until(io, [&] { return peer.flooded() > 0; }));

    first_round.clear();
    REQUIRE(run_until(io, [&] { return PahoMqttClient::paho_clients().retiring == 0; }));
    for (int round = 1; round < kRounds; ++round) {
        auto sessions = make_round(round);
        sessions.clear();
        // Paho has finished with every client given up: the next round borrows them again.
        INFO(describe(PahoMqttClient::paho_clients()));
        REQUIRE(run_until(io, [&] { return PahoMqttClient::paho_clients().retiring == 0; }));
    }
    CHECK(peer.unread() >= kStalledBytes); // the write was stalled all along
    CHECK(fixed[0]->connects == 1);        // the flooded session never dropped

    const PahoClientCounts after = PahoMqttClient::paho_clients();
    INFO(describe(after));
    // One Paho client per session identity, not one per connection attempt.
    CHECK(after.created - before.created == kPerRound + 2);
    CHECK(after.kept == before.kept);
    CHECK(after.lent - before.lent == 2);
    fixed.clear();
    REQUIRE(run_until(io, [] { return PahoMqttClient::paho_clients().retiring == 0; }));
}

TEST_CASE("A session reconnecting after its connection was dropped borrows its client again",
          "[mqtt][paho]") {
    TempDir dir;
    MosquittoProcess broker(dir.path());
    net::io_context io;
    Session session(io, options_for(broker.port(), "pool-drop"));
    net::post(session.strand, [&] { session.client->start(); });
    REQUIRE(run_until(io, [&] { return session.connects == 1; }));
    const PahoClientCounts before = PahoMqttClient::paho_clients();
    for (int drop = 2; drop <= 5; ++drop) {
        net::post(session.strand, [&] { session.client->drop_connection(); });
        INFO(describe(PahoMqttClient::paho_clients()));
        REQUIRE(run_until(io, [&] {
            return session.connects == drop && PahoMqttClient::paho_clients().retiring == 0;
        }));
    }
    // The reconnect may come before Paho has finished with the dropped client (then a second
    // one is made), never before it finished with the one dropped before.
    const PahoClientCounts after = PahoMqttClient::paho_clients();
    INFO(describe(after));
    CHECK(after.created - before.created <= 1);
    CHECK(after.kept == before.kept);
    net::post(session.strand, [&] { session.client->stop(); });
    REQUIRE(run_until(io, [] { return PahoMqttClient::paho_clients().retiring == 0; }));
}
