// The waker (paho_connect_waker.hpp): a loopback listener on its own thread and io_context (it
// serves Paho's process-wide receive thread, so it belongs to no device's io_context), and one Paho
// client connected to it. Created on the first pending connect and kept for the life of the
// process, as Paho's own threads are.
#include "fota/sim/paho_connect_waker.hpp"
#include "fota/sim/paho_tcp_nodelay.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <mqtt/async_client.h>

#include <pthread.h>

#include <array>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace fota::sim {

namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;

// MQTT 3.1.1 fixed bytes: CONNACK (session not present, accepted) and PINGRESP.
constexpr std::array<std::uint8_t, 4> kConnack{0x20, 0x02, 0x00, 0x00};
constexpr std::array<std::uint8_t, 2> kPingresp{0xD0, 0x00};

std::atomic<bool> enabled{true};
// Connects pending in the process (holds taken); changed under pending_mutex, read anywhere.
std::mutex pending_mutex;
std::atomic<std::uint64_t> pending_connects{0};

class Waker {
public:
    Waker() {
        const tcp::endpoint loopback(net::ip::address_v4::loopback(), 0);
        acceptor_.open(loopback.protocol());
        acceptor_.bind(loopback);
        acceptor_.listen(1);
        const std::uint16_t port = acceptor_.local_endpoint().port();
        acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
            on_accept(ec, std::move(socket));
        });
        thread_ = std::thread([this] {
            ::pthread_setname_np(::pthread_self(), "paho-waker");
            io_.run();
        });
        connect_client(port);
    }

    // Never destroyed (see instance()): Paho's receive thread outlives every static.
    ~Waker() = delete;

    /// Wakes Paho every kWakeInterval from now until no connect is pending.
    void start() {
        net::post(io_, [this] { start_waking(); });
    }

    void add_to(PahoConnectWaker::Stats& stats) const {
        stats.wakes = wakes_.load();
        stats.linked = linked_.load();
        stats.waking = waking_.load();
    }

private:
    void connect_client(std::uint16_t port) {
        await_new_paho_socket(); // not needed (it never sends after CONNECT), but counted
        try {
            client_ = std::make_unique<mqtt::async_client>(
                "tcp://127.0.0.1:" + std::to_string(port), "fota-sim-paho-waker",
                mqtt::create_options(MQTTVERSION_3_1_1),
                static_cast<mqtt::iclient_persistence*>(nullptr));
            client_->set_connected_handler([this](const std::string&) { linked_ = true; });
            client_->set_connection_lost_handler([this](const std::string&) { linked_ = false; });
            mqtt::connect_options options;
            options.set_mqtt_version(MQTTVERSION_3_1_1);
            options.set_clean_session(true);
            options.set_keep_alive_interval(0); // no PINGREQ: the listener never reads
            options.set_automatic_reconnect(false);
            client_->connect(options);
        } catch (const mqtt::exception&) {
            // No waker: connects are as slow as Paho makes them, and nothing else changes.
            client_.reset();
        }
    }

    void on_accept(boost::system::error_code ec, tcp::socket socket) {
        if (ec) {
            return;
        }
        peer_ = std::move(socket);
        boost::system::error_code ignored;
        peer_.set_option(tcp::no_delay(true), ignored);
        acceptor_.close(ignored);
        // Sent at once: Paho reads it after its CONNECT, as from any broker.
        writing_ = true;
        net::async_write(peer_, net::buffer(kConnack), [this](boost::system::error_code wec, auto) {
            writing_ = false;
            connack_sent_ = !wec;
        });
    }

    void start_waking() {
        if (waking_) {
            return;
        }
        waking_ = true;
        wake();
    }

    void wake() {
        if (pending_connects.load() == 0 || !enabled.load()) {
            waking_ = false;
            return;
        }
        if (connack_sent_ && !writing_) {
            writing_ = true;
            net::async_write(peer_, net::buffer(kPingresp),
                             [this](boost::system::error_code ec, auto) {
                                 writing_ = false;
                                 if (!ec) {
                                     ++wakes_;
                                 }
                             });
        }
        timer_.expires_after(PahoConnectWaker::kWakeInterval);
        timer_.async_wait([this](boost::system::error_code) { wake(); });
    }

    net::io_context io_;
    net::executor_work_guard<net::io_context::executor_type> work_ = net::make_work_guard(io_);
    tcp::acceptor acceptor_{io_};
    tcp::socket peer_{io_};
    net::steady_timer timer_{io_};
    std::thread thread_;
    std::unique_ptr<mqtt::async_client> client_;
    std::atomic<std::uint64_t> wakes_{0};
    std::atomic<bool> linked_{false};
    std::atomic<bool> waking_{false}; // written on io_'s thread only
    bool connack_sent_ = false;       // io_'s thread only
    bool writing_ = false;            // io_'s thread only
};

std::mutex instance_mutex;
Waker* instance_pointer = nullptr; // under instance_mutex

// Created on first use; deliberately leaked: it must outlive every Paho client, and Paho's
// threads run until the process exits. Never called under pending_mutex: creating it calls into
// Paho, whose receive thread releases holds (pending_mutex) while it holds its own lock.
Waker* instance() {
    const std::lock_guard lock(instance_mutex);
    if (instance_pointer == nullptr) {
        try {
            instance_pointer = new Waker();
        } catch (const boost::system::system_error&) {
            return nullptr; // no loopback listener: no waker, connects as slow as before
        }
    }
    return instance_pointer;
}

} // namespace

PahoConnectWaker::Hold::~Hold() {
    release();
}

void PahoConnectWaker::Hold::take() {
    if (held_.exchange(true)) {
        return;
    }
    await_new_paho_socket();
    Waker* waker = enabled.load() ? instance() : nullptr;
    const std::lock_guard lock(pending_mutex);
    if (pending_connects.fetch_add(1) == 0) {
        if (waker != nullptr) {
            waker->start();
        }
    }
}

void PahoConnectWaker::Hold::release() {
    if (!held_.exchange(false)) {
        return;
    }
    const std::lock_guard lock(pending_mutex);
    if (pending_connects.fetch_sub(1) == 1) {
        stop_awaiting_paho_sockets();
    }
}

void PahoConnectWaker::set_enabled(bool on) {
    enabled = on;
}

PahoConnectWaker::Stats PahoConnectWaker::stats() {
    Stats stats;
    stats.pending = pending_connects.load();
    const std::lock_guard lock(instance_mutex);
    if (instance_pointer != nullptr) {
        instance_pointer->add_to(stats);
    }
    return stats;
}

} // namespace fota::sim
