// MqttClient on the Paho MQTT C++ async client. Every Paho callback (which runs on one of Paho's
// own threads) is posted onto the device's strand at once; nothing of the device is touched off
// the strand. Reconnection is ours, not Paho's: capped exponential backoff with seeded jitter, so
// that a thousand devices dropped together do not reconnect in lockstep and a run replays from
// its seed.
#pragma once

#include "fota/sim/asio_strand.hpp"
#include "fota/sim/mqtt_client.hpp"

#include <memory>

namespace fota::sim {

/// Every member function must be called on `strand`; handlers run there.
class PahoMqttClient final : public MqttClient {
public:
    PahoMqttClient(Strand strand, MqttOptions options, MqttHandlers handlers);
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

    class Impl;

private:
    std::shared_ptr<Impl> impl_;
};

} // namespace fota::sim
