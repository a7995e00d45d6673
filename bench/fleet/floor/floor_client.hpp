// One simulated client of the floor (bench/fleet/floor/README.md): the MQTT messages and HTTP
// requests a seed-profile device makes in one update, with nothing else: no core, no flash, no
// Paho. Every client of a run lives on one io_context run by one thread; its HTTP goes through
// the run's HttpFetcher and comes back posted onto that io_context.
#pragma once

#include "fota/sim/mqtt_wire.hpp"
#include "http_fetcher.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace fota::bench::floor {

using Clock = std::chrono::steady_clock;
using sim::mqtt311::Packet;

/// What every client of a run shares: where the stack is and what the device would do.
struct ClientSettings {
    boost::asio::ip::tcp::endpoint broker;
    std::string shadow_base_url; ///< the control plane: POST <it>/things/<thing>/shadow
    std::uint32_t fragment_size = 4096;
    std::uint16_t keep_alive_s = 60;
    std::string initial_version = "v1.0.0"; ///< reported to the shadow at the first boot
    std::string update_version = "v2.0.0";  ///< ... and after the reboot
};

/// What one client went through, for the run's report. Times are empty until reached.
struct ClientRecord {
    Clock::time_point started;
    std::optional<Clock::time_point> connected;   ///< first CONNACK
    std::optional<Clock::time_point> job_taken;   ///< the execution arrived
    std::optional<Clock::time_point> first_byte;  ///< the first Range response complete
    std::optional<Clock::time_point> downloaded;  ///< the last one complete
    std::optional<Clock::time_point> succeeded;   ///< SUCCEEDED accepted
    std::optional<Clock::time_point> reconnected; ///< CONNACK after the reboot: done
    bool finished = false;                        ///< the last $next/get answered after the reboot
    std::string failure;                          ///< why it stopped, when it did
    std::uint64_t download_bytes = 0;
    std::uint64_t http_requests = 0;
    std::uint64_t mqtt_sent = 0;     ///< packets written
    std::uint64_t mqtt_received = 0; ///< packets read
};

/// Called on the io_context when a client connects the first time, finishes or fails.
struct ClientEvents {
    std::function<void()> connected;
    std::function<void()> ended;
};

class FloorClient {
public:
    FloorClient(boost::asio::io_context& io, HttpFetcher& http, const ClientSettings& settings,
                const ClientEvents& events, std::string thing, std::uint64_t seed,
                std::size_t slot); ///< slot: the client's place in its group (its HTTP multi)

    /// Boots: the shadow report, then the connect. On the io_context's thread.
    void start();
    /// Sends a PINGREQ when nothing was written for half the keep-alive (the run calls it).
    void keep_alive(Clock::time_point now);
    /// Closes the socket (the run's end).
    void close();

    const ClientRecord& record() const { return record_; }
    const std::string& thing() const { return thing_; }

private:
    enum class Step : std::uint8_t {
        shadow,      ///< the shadow report's POST
        connecting,  ///< TCP connect and CONNACK
        waiting_job, ///< subscribed to notify-next, no job yet
        starting,    ///< IN_PROGRESS download_firmware sent
        downloading, ///< Range requests
        applying,    ///< IN_PROGRESS apply_firmware sent
        succeeding,  ///< SUCCEEDED sent
        checking,    ///< after the reboot: $next/get sent
        finished,
        failed,
    };

    void report_shadow();
    void connect();
    void read_more();
    void on_packet(const Packet& packet);
    void on_connack(const Packet& packet);
    void on_publish(std::string_view topic, std::string_view payload);
    bool take_job(std::string_view payload);
    void publish_update(std::string_view status, std::string_view next_state);
    void on_update_accepted();
    void fetch_next_fragment();
    void on_fragment(const HttpResult& result, std::uint64_t first, std::uint64_t last);
    void reboot();
    void send(std::string packet);
    void fail(std::string why);
    std::string client_token();
    std::string topic(std::string_view suffix) const;
    std::uint16_t next_packet_id();

    boost::asio::io_context& io_;
    HttpFetcher& http_;
    const ClientSettings& settings_;
    const ClientEvents& events_;
    std::string thing_;
    std::uint64_t token_state_;
    std::size_t slot_;
    /// One MQTT connection; handlers hold it, so the DISCONNECT of a reboot still goes out
    /// while the next boot makes a new one.
    struct Connection {
        explicit Connection(boost::asio::io_context& io) : socket(io) {}
        boost::asio::ip::tcp::socket socket;
        std::string input;
        std::array<char, 4096> read_buffer{};
        std::deque<std::string> output;
        bool writing = false;
        bool close_after_write = false;
    };
    void write_front(const std::shared_ptr<Connection>& connection);

    std::shared_ptr<Connection> connection_;
    Clock::time_point last_write_;
    std::uint16_t packet_id_ = 0;
    std::uint32_t boot_ = 1;
    Step step_ = Step::shadow;

    std::string job_id_;
    std::uint64_t expected_version_ = 0;
    std::string url_;
    std::uint64_t image_size_ = 0;
    ClientRecord record_;
};

} // namespace fota::bench::floor
