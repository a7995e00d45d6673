// MqttClient on the Paho MQTT C++ async client. Every Paho callback (which runs on one of Paho's
// own threads) is posted onto the device's strand at once; nothing of the device is touched off
// the strand. Reconnection is ours, not Paho's: capped exponential backoff with seeded jitter, so
// that a thousand devices dropped together do not reconnect in lockstep and a run replays from
// its seed.
#pragma once

#include "fota/sim/asio_strand.hpp"
#include "fota/sim/mqtt_client.hpp"

#include <cstdint>
#include <memory>

namespace fota::sim {

/// The Paho clients of the process (simulator/ports/src/paho_client_pool.hpp). None is destroyed
/// while the process runs (destroying one could crash Paho's receive thread); a session borrows
/// one per connection attempt and it is lent again once Paho has finished with it.
struct PahoClientCounts {
    std::uint64_t created = 0;  ///< Paho clients made
    std::uint64_t idle = 0;     ///< finished, waiting to be lent again
    std::uint64_t lent = 0;     ///< held by a session
    std::uint64_t retiring = 0; ///< given back, Paho not finished with it yet
    std::uint64_t kept = 0;     ///< finished but never lent again (its connection was lost, or
                                ///< it still had publishes in flight)
};

/// Every member function must be called on `strand`; handlers run there.
class PahoMqttClient final : public MqttClient {
public:
    PahoMqttClient(Strand strand, MqttOptions options, MqttHandlers handlers);
    /// Ends the session without calling a handler (a device's reboot or power cut). The broker
    /// sees a clean DISCONNECT at once (for a connect still pending: once its CONNACK arrives),
    /// not the silence of a real power cut: Paho cannot end a connection any other way.
    ~PahoMqttClient() override;
    PahoMqttClient(const PahoMqttClient&) = delete;
    PahoMqttClient& operator=(const PahoMqttClient&) = delete;

    void start() override;
    void stop() override;
    bool connected() const override;
    Result subscribe(std::string_view topic_filter) override;
    Result unsubscribe(std::string_view topic_filter) override;
    Result publish(std::string_view topic, std::string_view payload) override;
    /// Paho has no way to abort a connection without a DISCONNECT, so the broker sees a clean
    /// disconnect; the device sees a loss.
    void drop_connection() override;
    void go_offline(std::chrono::milliseconds duration) override;
    void lose_next_message(std::string topic_suffix = {}) override;
    MqttStats stats() const override;

    /// Any thread.
    static PahoClientCounts paho_clients();

    class Impl;

private:
    std::shared_ptr<Impl> impl_;
};

} // namespace fota::sim
