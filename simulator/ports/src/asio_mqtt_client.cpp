// The Asio MQTT session (asio_mqtt_client.hpp). One connection attempt is one Connection: its
// socket (or TLS stream), the bytes read but not yet a whole packet, and the bytes to write.
// Every handler holds the session and its connection and does nothing once the session has moved
// on to another connection (or none), so a late completion of a closed socket is harmless.
#include "fota/sim/asio_mqtt_client.hpp"

#include "fota/flash/rng.hpp"
#include "fota/sim/mqtt_session_rules.hpp"
#include "fota/sim/mqtt_wire.hpp"
#include "mqtt_tls_context.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <chrono>
#include <optional>
#include <utility>

namespace fota::sim {

namespace asio = boost::asio;
using asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

namespace {

struct Connection {
    explicit Connection(const Strand& strand) : socket(strand), resolver(strand) {}

    tcp::socket& lowest() { return tls ? tls->next_layer() : socket; }

    tcp::socket socket; // the connection when plain; unused (moved into tls) for TLS
    tcp::resolver resolver;
    std::optional<TlsStream> tls;
    std::shared_ptr<asio::ssl::context> tls_context;
    std::vector<char> tls_chunk; // TLS reads land here (plain reads use a thread's buffer)
    std::string input;           // the start of a packet not whole yet
    std::string writing;         // bytes handed to the socket
    std::string queued;          // bytes to write once those are written
    bool write_pending = false;
};

// Plain sockets are read only once readable, into this buffer of the reading thread, so an idle
// session holds no read buffer.
constexpr std::size_t kReadChunk = 16 * 1024;
thread_local std::array<char, kReadChunk> read_chunk;

} // namespace

class AsioMqttClient::Impl : public std::enable_shared_from_this<AsioMqttClient::Impl> {
public:
    Impl(Strand strand, MqttOptions options, MqttHandlers handlers)
        : strand_(std::move(strand)), options_(std::move(options)), handlers_(std::move(handlers)),
          reconnect_timer_(strand_), connect_timer_(strand_), keep_alive_timer_(strand_),
          random_(options_.seed) {}

    void start() {
        if (started_ || closed_) {
            return;
        }
        started_ = true;
        attempts_since_success_ = 0;
        connect_now();
    }

    void stop() {
        if (!started_) {
            return;
        }
        started_ = false;
        reconnect_timer_.cancel();
        const bool was_connected = connected_;
        end_connection(/*polite=*/true);
        if (was_connected) {
            notify_disconnected(MqttDisconnect{"stopped", false});
        }
    }

    // The owner is gone (a device's reboot or power cut): no handler runs from now on. The
    // handlers themselves are kept until the session is destroyed, since one of them may be the
    // caller.
    void close() {
        closed_ = true;
        started_ = false;
        reconnect_timer_.cancel();
        end_connection(/*polite=*/true);
    }

    bool connected() const { return connected_; }

    Result subscribe(std::string_view filter) {
        return send_if_connected(
            filter, [&] { return mqtt311::subscribe_packet(next_id(), {std::string(filter)}); });
    }

    Result unsubscribe(std::string_view filter) {
        return send_if_connected(filter,
                                 [&] { return mqtt311::unsubscribe_packet(next_id(), filter); });
    }

    Result publish(std::string_view topic, std::string_view payload) {
        if (payload.size() > kMaxOutgoingPayload) {
            return connected_ ? Result::Error : Result::NotConnected;
        }
        const Result result = send_if_connected(
            topic, [&] { return mqtt311::publish_packet(next_id(), topic, payload); });
        if (result == Result::Ok) {
            ++stats_.publishes;
        }
        return result;
    }

    void drop_connection() {
        if (!started_) {
            return;
        }
        const bool was_connected = connected_;
        end_connection(/*polite=*/false);
        if (was_connected) {
            notify_disconnected(MqttDisconnect{"dropped by fault", false});
        }
        schedule_reconnect();
    }

    void go_offline(std::chrono::milliseconds duration) {
        offline_until_ = SteadyClock::now() + duration;
        if (connected_) {
            drop_connection();
        }
    }

    void lose_next_message(std::string topic_suffix) { lose_next_.arm(std::move(topic_suffix)); }

    MqttStats stats() const { return stats_; }

private:
    // MQTT 3.1.1's largest remaining length, less room for the topic.
    static constexpr std::size_t kMaxOutgoingPayload = 268'435'455 - 65'540;

    template <typename MakePacket>
    Result send_if_connected(std::string_view topic, MakePacket make_packet) {
        if (!connected_) {
            return Result::NotConnected;
        }
        if (topic.empty() || topic.size() > 65'535) {
            return Result::Error;
        }
        send(make_packet());
        return Result::Ok;
    }

    std::uint16_t next_id() {
        if (++packet_id_ == 0) {
            packet_id_ = 1;
        }
        return packet_id_;
    }

    // --- connecting -----------------------------------------------------------------------

    void connect_now() {
        end_connection(/*polite=*/false);
        ++stats_.connect_attempts;
        if (SteadyClock::now() < offline_until_) {
            // No network: the attempt fails as a refused one would, and the backoff grows.
            ++stats_.offline_attempts;
            schedule_reconnect();
            return;
        }
        auto connection = std::make_shared<Connection>(strand_);
        connection_ = connection;
        connect_timer_.expires_after(std::chrono::seconds(options_.connect_timeout_s));
        connect_timer_.async_wait([self = shared_from_this(), connection](auto error) {
            if (!error && self->connection_ == connection && !self->connected_) {
                self->attempt_failed("no CONNACK within " +
                                     std::to_string(self->options_.connect_timeout_s) + " s");
            }
        });
        boost::system::error_code not_address;
        const auto address = asio::ip::make_address(options_.host, not_address);
        if (!not_address) {
            connect_to({tcp::endpoint(address, options_.port)}, connection);
            return;
        }
        connection->resolver.async_resolve(
            options_.host, std::to_string(options_.port),
            [self = shared_from_this(), connection](auto error, tcp::resolver::results_type found) {
                if (self->connection_ != connection) {
                    return;
                }
                if (error) {
                    self->attempt_failed("resolve " + self->options_.host + ": " + error.message());
                    return;
                }
                self->connect_to(std::vector<tcp::endpoint>(found.begin(), found.end()),
                                 connection);
            });
    }

    void connect_to(const std::vector<tcp::endpoint>& endpoints,
                    const std::shared_ptr<Connection>& connection) {
        asio::async_connect(
            connection->socket, endpoints,
            [self = shared_from_this(), connection](auto error, const tcp::endpoint&) {
                if (self->connection_ != connection) {
                    return;
                }
                if (error) {
                    self->attempt_failed("TCP connect to " + self->server() + ": " +
                                         error.message());
                    return;
                }
                // Nagle off: a device's publish right after an acknowledgement must not wait for
                // the broker's delayed ACK (about 40 ms).
                boost::system::error_code ignored;
                connection->socket.set_option(tcp::no_delay(true), ignored);
                if (self->options_.use_tls) {
                    self->start_tls(connection);
                } else {
                    self->send_connect(connection);
                }
            });
    }

    void start_tls(const std::shared_ptr<Connection>& connection) {
        std::string error;
        connection->tls_context = mqtt_tls_context(options_.tls, error);
        if (connection->tls_context) {
            connection->tls.emplace(std::move(connection->socket), *connection->tls_context);
            if (!prepare_mqtt_tls_stream(*connection->tls, options_.tls, options_.host, error)) {
                connection->tls_context.reset();
            }
        }
        if (!connection->tls_context) {
            attempt_failed("TLS: " + error);
            return;
        }
        connection->tls->async_handshake(
            asio::ssl::stream_base::client, [self = shared_from_this(), connection](auto failed) {
                if (self->connection_ != connection) {
                    return;
                }
                if (failed) {
                    self->attempt_failed("TLS handshake with " + self->server() + ": " +
                                         failed.message());
                    return;
                }
                connection->tls_chunk.resize(4096);
                self->send_connect(connection);
            });
    }

    void send_connect(const std::shared_ptr<Connection>& connection) {
        send(mqtt311::connect_packet(options_.client_id,
                                     static_cast<std::uint16_t>(options_.keep_alive_s),
                                     options_.clean_session));
        read_more(connection);
    }

    void on_connack(const mqtt311::Packet& packet) {
        if (packet.return_code != 0) {
            attempt_failed("the broker refused the connection: " +
                           std::string(mqtt311::connack_reason(packet.return_code)) +
                           " (CONNACK return code " + std::to_string(packet.return_code) + ")");
            return;
        }
        connect_timer_.cancel();
        connected_ = true;
        attempts_since_success_ = 0;
        ++stats_.connections;
        schedule_keep_alive();
        if (!closed_ && handlers_.on_connected) {
            handlers_.on_connected(packet.session_present);
        }
    }

    // --- reading ----------------------------------------------------------------------------

    void read_more(const std::shared_ptr<Connection>& connection) {
        if (connection->tls) {
            connection->tls->async_read_some(
                asio::buffer(connection->tls_chunk),
                [self = shared_from_this(), connection](auto error, std::size_t length) {
                    self->on_read(connection, error, connection->tls_chunk.data(), length);
                });
            return;
        }
        connection->socket.async_wait(tcp::socket::wait_read, [self = shared_from_this(),
                                                               connection](auto error) {
            if (error) {
                self->on_read(connection, error, nullptr, 0);
                return;
            }
            boost::system::error_code read_error;
            connection->socket.non_blocking(true, read_error);
            const std::size_t length =
                read_error ? 0 : connection->socket.read_some(asio::buffer(read_chunk), read_error);
            self->on_read(connection, read_error, read_chunk.data(), length);
        });
    }

    void on_read(const std::shared_ptr<Connection>& connection, boost::system::error_code error,
                 const char* data, std::size_t length) {
        if (connection_ != connection) {
            return;
        }
        if (error == asio::error::would_block || error == asio::error::try_again) {
            read_more(connection);
            return;
        }
        if (error) {
            end_with(error == asio::error::eof ? "the broker closed the connection"
                                               : "read: " + error.message());
            return;
        }
        // Whole packets straight from the chunk; only a packet's unfinished start is kept.
        std::string_view bytes(data, length);
        std::string joined;
        if (!connection->input.empty()) {
            joined = std::move(connection->input);
            joined.append(data, length);
            bytes = joined;
        }
        connection->input.clear();
        if (!take_packets(connection, bytes)) {
            return; // the connection ended (or the session moved on) inside
        }
        connection->input.assign(bytes);
        if (connection->input.empty()) {
            connection->input.shrink_to_fit();
        }
        read_more(connection);
    }

    // Handles every whole packet at the start of `bytes` and leaves the rest in it. False when
    // the connection is no longer the session's.
    bool take_packets(const std::shared_ptr<Connection>& connection, std::string_view& bytes) {
        while (!bytes.empty()) {
            mqtt311::Packet packet;
            std::size_t used = 0;
            std::string error;
            const mqtt311::ReadStatus status = mqtt311::read_packet(bytes, packet, used, &error);
            if (status == mqtt311::ReadStatus::need_more) {
                // Only a packet not whole yet is kept, so only its size needs a limit (a read is
                // 16 KiB at most: a larger packet is always refused here, before it is buffered).
                const std::size_t announced = mqtt311::announced_length(bytes);
                if (announced > AsioMqttClient::kMaxIncomingPacket) {
                    end_with("a packet of " + std::to_string(announced) +
                             " bytes from the broker (at most " +
                             std::to_string(AsioMqttClient::kMaxIncomingPacket) + " accepted)");
                    return false;
                }
                return true;
            }
            if (status == mqtt311::ReadStatus::malformed) {
                end_with("malformed packet from the broker: " + error);
                return false;
            }
            on_packet(packet);
            if (connection_ != connection) {
                return false;
            }
            bytes.remove_prefix(used);
        }
        return true;
    }

    void on_packet(const mqtt311::Packet& packet) {
        if (!connected_) {
            if (packet.type == mqtt311::PacketType::connack) {
                on_connack(packet);
            } else {
                end_with("the broker sent packet type " +
                         std::to_string(static_cast<int>(packet.type)) + " before CONNACK");
            }
            return;
        }
        switch (packet.type) {
        case mqtt311::PacketType::publish:
            on_publish(packet);
            return;
        case mqtt311::PacketType::pingresp:
            ping_outstanding_ = false;
            return;
        case mqtt311::PacketType::puback:
        case mqtt311::PacketType::suback:
        case mqtt311::PacketType::unsuback:
            return; // the device waits for replies, not for acknowledgements (as with Paho)
        default:
            end_with("unexpected packet type " + std::to_string(static_cast<int>(packet.type)) +
                     " from the broker");
            return;
        }
    }

    void on_publish(const mqtt311::Packet& packet) {
        if (packet.qos == 2) {
            // Every subscription is QoS 1, so the broker may not send QoS 2 (MQTT-3.8.4-6).
            end_with("a QoS 2 PUBLISH from the broker on a QoS 1 subscription");
            return;
        }
        if (packet.qos == 1) {
            send(mqtt311::puback_packet(packet.packet_id));
        }
        ++stats_.messages_received;
        if (lose_next_.take(packet.topic)) {
            ++stats_.messages_dropped_by_fault;
            return;
        }
        if (!closed_ && handlers_.on_message) {
            handlers_.on_message(packet.topic, packet.payload);
        }
    }

    // --- writing ----------------------------------------------------------------------------

    void send(std::string packet) {
        const auto& connection = connection_;
        if (!connection) {
            return;
        }
        last_sent_ = SteadyClock::now();
        if (connection->write_pending) {
            connection->queued.append(packet);
            return;
        }
        connection->writing = std::move(packet);
        write_now(connection);
    }

    void write_now(const std::shared_ptr<Connection>& connection) {
        connection->write_pending = true;
        auto done = [self = shared_from_this(), connection](auto error, std::size_t) {
            self->on_written(connection, error);
        };
        if (connection->tls) {
            asio::async_write(*connection->tls, asio::buffer(connection->writing), done);
        } else {
            asio::async_write(connection->socket, asio::buffer(connection->writing), done);
        }
    }

    void on_written(const std::shared_ptr<Connection>& connection,
                    boost::system::error_code error) {
        connection->write_pending = false;
        if (connection_ != connection) {
            return;
        }
        if (error) {
            end_with("write: " + error.message());
            return;
        }
        connection->writing.clear();
        if (!connection->queued.empty()) {
            std::swap(connection->writing, connection->queued);
            write_now(connection);
            return;
        }
        if (connection->writing.capacity() > 1024) {
            connection->writing.shrink_to_fit();
        }
    }

    // --- keep-alive -------------------------------------------------------------------------

    // A PINGREQ once the session has sent nothing for keep_alive_s; the connection is lost when
    // its PINGRESP has not come by the next keep-alive interval (MQTT-3.1.2-24's 1.5 times on
    // the broker's side).
    void schedule_keep_alive() {
        if (options_.keep_alive_s == 0) {
            return;
        }
        const auto interval = std::chrono::seconds(options_.keep_alive_s);
        const auto due = ping_outstanding_ ? ping_sent_ + interval : last_sent_ + interval;
        keep_alive_timer_.expires_at(due);
        keep_alive_timer_.async_wait(
            [self = shared_from_this(), connection = connection_](auto error) {
                if (error || self->connection_ != connection || !self->connected_) {
                    return;
                }
                self->on_keep_alive();
            });
    }

    void on_keep_alive() {
        const auto interval = std::chrono::seconds(options_.keep_alive_s);
        const auto now = SteadyClock::now();
        if (ping_outstanding_) {
            if (now >= ping_sent_ + interval) {
                end_with("no PINGRESP within the keep-alive (" +
                         std::to_string(options_.keep_alive_s) + " s)");
                return;
            }
        } else if (now >= last_sent_ + interval) {
            send(mqtt311::pingreq_packet());
            ping_outstanding_ = true;
            ping_sent_ = now;
        }
        schedule_keep_alive();
    }

    // --- ending -----------------------------------------------------------------------------

    std::string server() const {
        return (options_.use_tls ? "ssl://" : "tcp://") + options_.host + ":" +
               std::to_string(options_.port);
    }

    // The connection ends with `reason`: a refused attempt when not connected yet, a lost
    // session otherwise; the session reconnects after its backoff.
    void end_with(const std::string& reason) {
        if (connected_) {
            end_connection(/*polite=*/false);
            notify_disconnected(MqttDisconnect{"connection lost: " + reason, false});
            schedule_reconnect();
        } else {
            attempt_failed(reason);
        }
    }

    void attempt_failed(const std::string& reason) {
        end_connection(/*polite=*/false);
        notify_disconnected(MqttDisconnect{"connect failed: " + reason, true});
        schedule_reconnect();
    }

    void notify_disconnected(const MqttDisconnect& why) {
        if (!closed_ && handlers_.on_disconnected) {
            handlers_.on_disconnected(why);
        }
    }

    // Leaves the current connection (if any): polite sends a DISCONNECT first when connected and
    // the socket takes it at once; otherwise the TCP connection is reset. Every pending operation
    // of the connection completes with an error and finds it no longer the session's.
    void end_connection(bool polite) {
        const std::shared_ptr<Connection> connection = std::exchange(connection_, nullptr);
        const bool was_connected = std::exchange(connected_, false);
        ping_outstanding_ = false;
        connect_timer_.cancel();
        keep_alive_timer_.cancel();
        if (!connection) {
            return;
        }
        boost::system::error_code ignored;
        connection->resolver.cancel();
        tcp::socket& socket = connection->lowest();
        if (polite && was_connected && !connection->write_pending && socket.is_open()) {
            const std::string bye = mqtt311::disconnect_packet();
            socket.non_blocking(true, ignored);
            if (connection->tls) {
                asio::write(*connection->tls, asio::buffer(bye), ignored);
            } else {
                socket.send(asio::buffer(bye), 0, ignored);
            }
            socket.shutdown(tcp::socket::shutdown_send, ignored);
        } else if (socket.is_open()) {
            socket.set_option(asio::socket_base::linger(true, 0), ignored); // RST, not FIN
        }
        socket.close(ignored);
    }

    void schedule_reconnect() {
        if (!started_) {
            return;
        }
        // The capped exponential backoff (mqtt_session_rules.hpp); the delay is drawn from
        // [backoff/2, backoff].
        reconnect_timer_.expires_after(std::chrono::milliseconds(
            reconnect_delay_ms(options_, attempts_since_success_++, random_)));
        reconnect_timer_.async_wait([self = shared_from_this()](auto error) {
            if (!error && self->started_ && !self->connected_) {
                self->connect_now();
            }
        });
    }

    Strand strand_;
    MqttOptions options_;
    MqttHandlers handlers_;
    asio::steady_timer reconnect_timer_;
    asio::steady_timer connect_timer_;
    asio::steady_timer keep_alive_timer_;
    fota::flash::SplitMix64 random_;
    std::shared_ptr<Connection> connection_; // the attempt or session in hand, if any
    SteadyClock::time_point last_sent_{};
    SteadyClock::time_point ping_sent_{};
    SteadyClock::time_point offline_until_{}; // no attempt succeeds before it
    std::uint32_t attempts_since_success_ = 0;
    std::uint16_t packet_id_ = 0;
    bool started_ = false;
    bool connected_ = false;
    bool closed_ = false;
    bool ping_outstanding_ = false;
    LoseNextMessage lose_next_;
    MqttStats stats_;
};

AsioMqttClient::AsioMqttClient(Strand strand, MqttOptions options, MqttHandlers handlers)
    : impl_(std::make_shared<Impl>(std::move(strand), std::move(options), std::move(handlers))) {}

AsioMqttClient::~AsioMqttClient() {
    impl_->close();
}

void AsioMqttClient::start() {
    impl_->start();
}
void AsioMqttClient::stop() {
    impl_->stop();
}
bool AsioMqttClient::connected() const {
    return impl_->connected();
}
MqttClient::Result AsioMqttClient::subscribe(std::string_view filter) {
    return impl_->subscribe(filter);
}
MqttClient::Result AsioMqttClient::unsubscribe(std::string_view filter) {
    return impl_->unsubscribe(filter);
}
MqttClient::Result AsioMqttClient::publish(std::string_view topic, std::string_view payload) {
    return impl_->publish(topic, payload);
}
void AsioMqttClient::drop_connection() {
    impl_->drop_connection();
}
void AsioMqttClient::go_offline(std::chrono::milliseconds duration) {
    impl_->go_offline(duration);
}
void AsioMqttClient::lose_next_message(std::string topic_suffix) {
    impl_->lose_next_message(std::move(topic_suffix));
}
MqttStats AsioMqttClient::stats() const {
    return impl_->stats();
}

} // namespace fota::sim
