#pragma once
// A real Mosquitto with the fota plugin on a free port, and Paho MQTT clients that record what
// they receive. Tests decide by state with a deadline, never by sleeping.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <mqtt/async_client.h>
#include <nlohmann/json.hpp>
#include <sys/types.h>

namespace fota::cloud::conformance {

using nlohmann::json;

/// A private mosquitto process: config, SQLite state and log in a temporary folder.
class Broker {
public:
    Broker();  ///< creates the folder and picks a free port; does not start
    ~Broker(); ///< stops the broker, removes the folder
    Broker(const Broker&) = delete;
    Broker& operator=(const Broker&) = delete;

    /// Starts mosquitto and waits (deadline 15 s) until it accepts TCP connections on port().
    /// Fails the test with the broker's log if it exits or never listens.
    void start();
    /// SIGTERM, then waits for exit (deadline 15 s; SIGKILL after).
    void stop();

    [[nodiscard]] int port() const { return port_; }
    [[nodiscard]] std::string uri() const { return "tcp://127.0.0.1:" + std::to_string(port_); }
    [[nodiscard]] std::string log() const;

private:
    std::string folder_;
    int port_ = 0;
    pid_t pid_ = -1;
};

struct Received {
    std::string topic;
    std::string payload;
    bool retained = false;
};

/// An MQTT 3.1.1 client that records every message it receives.
class Client {
public:
    /// Connects (deadline 10 s). `clean_session` false keeps a persistent session.
    Client(const std::string& uri, const std::string& client_id, bool clean_session = true);
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    void subscribe(const std::string& filter, int qos = 1);
    void publish(const std::string& topic, const std::string& payload, int qos = 1,
                 bool retain = false);
    void disconnect();

    /// Waits (deadline `timeout`) until a message on `topic` has arrived that `accept` likes,
    /// returns it and removes it from the record. Fails the test, listing what did arrive, if none.
    Received wait_for(const std::string& topic,
                      const std::function<bool(const Received&)>& accept = nullptr,
                      std::chrono::milliseconds timeout = std::chrono::seconds(10));
    /// wait_for() and parse the payload as JSON.
    json wait_json(const std::string& topic,
                   const std::function<bool(const json&)>& accept = nullptr);
    /// Everything received so far (and not taken by wait_for).
    std::vector<Received> received();
    /// Number of messages on `topic` in the record.
    std::size_t count(const std::string& topic);

    /// Sends a control request on $fota/control and returns the reply.
    json control(const std::string& op, const json& args);

private:
    std::string client_id_;
    mqtt::async_client client_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<Received> inbox_;
    int control_counter_ = 0;
};

} // namespace fota::cloud::conformance
