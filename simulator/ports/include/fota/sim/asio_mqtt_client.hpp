// MqttClient on Boost.Asio: MQTT 3.1.1 (mqtt_wire.hpp) over a TCP socket, or over TLS with a
// client certificate, on the device's strand. No thread of its own, nothing shared between
// sessions but the TLS contexts (one per CA file): a fleet worker's thousands of sessions cost
// what their sockets cost, where Paho's process-wide receive thread polls every socket of the
// process for each packet it reads (bench/fleet/README.md). Reconnection, backoff and the
// device-side faults behave as PahoMqttClient's (mqtt_session_rules.hpp); where the two differ
// (drop_connection resets the TCP connection without a DISCONNECT, as a lost network would; an
// unexpected or malformed packet from the broker ends the connection), the comments say so.
#pragma once

#include "fota/sim/asio_strand.hpp"
#include "fota/sim/mqtt_client.hpp"

#include <cstddef>
#include <memory>

namespace fota::sim {

/// Every member function must be called on `strand`; handlers run there.
class AsioMqttClient final : public MqttClient {
public:
    /// The largest packet accepted from the broker (AWS IoT's messages are at most 128 KiB): a
    /// larger one ends the connection before it is buffered.
    static constexpr std::size_t kMaxIncomingPacket = 1024 * 1024;

    AsioMqttClient(Strand strand, MqttOptions options, MqttHandlers handlers);
    /// Ends the session without calling a handler (a device's reboot or power cut): a DISCONNECT
    /// if connected and nothing else is being written, then the socket is closed.
    ~AsioMqttClient() override;
    AsioMqttClient(const AsioMqttClient&) = delete;
    AsioMqttClient& operator=(const AsioMqttClient&) = delete;

    void start() override;
    void stop() override;
    bool connected() const override;
    Result subscribe(std::string_view topic_filter) override;
    Result unsubscribe(std::string_view topic_filter) override;
    Result publish(std::string_view topic, std::string_view payload) override;
    /// Resets the TCP connection (no DISCONNECT): the broker sees the connection lost.
    void drop_connection() override;
    void go_offline(std::chrono::milliseconds duration) override;
    void lose_next_message(std::string topic_suffix = {}) override;
    MqttStats stats() const override;

    class Impl;

private:
    std::shared_ptr<Impl> impl_;
};

} // namespace fota::sim
