// An MQTT 3.1.1 session for one device, as the device runtime sees it: the options, handlers and
// counters, and the session's interface. Implemented on the Paho MQTT C++ async client
// (paho_mqtt_client.hpp) and, for the deterministic simulation, on an in-memory broker; a device
// gets its session from its DeviceHost.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace fota::sim {

/// TLS settings (AWS IoT requires a client certificate; the server name is sent as SNI).
struct MqttTls {
    std::string ca_file;   ///< PEM CA that signed the broker's certificate
    std::string cert_file; ///< PEM client certificate
    std::string key_file;  ///< PEM private key of cert_file
    bool verify_server = true;
};

struct MqttOptions {
    std::string host;
    std::uint16_t port = 1883;
    bool use_tls = false;
    MqttTls tls;
    std::string client_id;           ///< the thing name
    std::uint32_t keep_alive_s = 60; ///< AWS IoT accepts 30..1200
    bool clean_session = true;
    std::uint32_t connect_timeout_s = 10;
    std::uint32_t reconnect_min_ms = 1'000;  ///< first backoff
    std::uint32_t reconnect_max_ms = 60'000; ///< cap
    std::uint64_t seed = 1;                  ///< jitter
};

/// Why the session ended or did not start.
struct MqttDisconnect {
    std::string reason;
    bool refused = false; ///< a connection attempt failed (TCP, TLS or CONNACK), as opposed to
                          ///< an established session being lost
};

struct MqttHandlers {
    std::function<void(bool session_present)> on_connected;
    std::function<void(const MqttDisconnect& why)> on_disconnected;
    std::function<void(std::string_view topic, std::string_view payload)> on_message;
};

struct MqttStats {
    std::uint64_t connect_attempts = 0;
    std::uint64_t connections = 0;
    std::uint64_t messages_received = 0;
    std::uint64_t messages_dropped_by_fault = 0;
    std::uint64_t publishes = 0;
    std::uint64_t offline_attempts = 0; ///< connect attempts made while go_offline held
};

/// The session. Every member function must be called in the device host's context (the strand
/// it was made for); handlers run there, never inside a member function call. Destroying it ends
/// the session without calling any handler.
class MqttClient {
public:
    enum class Result : std::uint8_t { Ok, NotConnected, Error };

    virtual ~MqttClient() = default;
    MqttClient(const MqttClient&) = delete;
    MqttClient& operator=(const MqttClient&) = delete;

    /// Connect, and keep reconnecting after every loss or refusal until stop() or destruction.
    /// A second call while started does nothing.
    virtual void start() = 0;
    /// End the session (DISCONNECT if connected) and stop reconnecting. on_disconnected follows
    /// if the session was up.
    virtual void stop() = 0;
    virtual bool connected() const = 0;

    /// QoS 1. NotConnected: nothing was sent.
    virtual Result subscribe(std::string_view topic_filter) = 0;
    virtual Result unsubscribe(std::string_view topic_filter) = 0;
    /// QoS 1, retain false. Ok: queued for sending.
    virtual Result publish(std::string_view topic, std::string_view payload) = 0;

    // Faults (device side).
    /// Drop the connection now: the device sees a loss and reconnects with its backoff.
    virtual void drop_connection() = 0;
    /// No network for `duration`: the connection (if up) is lost, and every connection attempt
    /// until then fails at once (the reconnect backoff grows as it would). Also before start().
    virtual void go_offline(std::chrono::milliseconds duration) = 0;
    /// The next message that arrives (whose topic ends with topic_suffix, when not empty) is
    /// acknowledged but never reaches on_message.
    virtual void lose_next_message(std::string topic_suffix = {}) = 0;

    virtual MqttStats stats() const = 0;

protected:
    MqttClient() = default;
};

} // namespace fota::sim
