// The MQTT broker of the deterministic simulation: MQTT 3.1.1 as a device observes it, in memory,
// on the virtual clock. CONNECT/CONNACK (with session present), SUBSCRIBE/SUBACK (a refused
// filter is granted 0x80), UNSUBSCRIBE, PUBLISH at QoS 0 and 1 (PUBACK), persistent sessions
// (clean session 0: subscriptions and QoS 1 messages kept across disconnects and redelivered at
// the next connect), a second connection with the same client id taking over the first, and the
// broker stopping and starting again (like the embedded stack's Mosquitto with persistence off:
// every connection and session is lost, the cloud's state is not).
//
// What the broker does with a message is the host's (the cloud, sim_cloud.hpp): `authorize` is
// AWS IoT's topic policy, `on_publish` runs the Jobs and Shadow services; replies come back
// through deliver(), to one client whether or not it subscribed, or to every subscriber.
//
// Every callback runs from a scheduler event, never from inside the call that caused it, so a
// client sees the same order of events as over a socket.
#pragma once

#include "fota/sim/simulation/network.hpp"
#include "fota/sim/simulation/scheduler.hpp"

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace fota::sim::simulation {

/// What a client (a device's MQTT port) is told. Unset callbacks are ignored.
struct MqttClientCallbacks {
    std::function<void(bool session_present)> connected;
    /// The connection attempt failed (broker down) or was refused.
    std::function<void()> connect_failed;
    /// An established connection ended without the client asking (broker stopped, a takeover by
    /// another connection with the same client id, or drop() from the network side).
    std::function<void()> connection_lost;
    std::function<void(const std::string& topic, const std::string& payload)> message;
    std::function<void(std::uint32_t token, bool granted)> subscribed;
    std::function<void(std::uint32_t token)> unsubscribed;
    /// QoS 1: the PUBACK arrived. QoS 0: the message left the client.
    std::function<void(std::uint32_t token)> published;
};

/// The access the broker asks its host about (AWS IoT's policy for reserved topics).
enum class MqttAccess { publish, subscribe, receive };

class Broker {
public:
    using ConnectionId = std::uint64_t;
    using Authorize = std::function<bool(std::string_view client_id, std::string_view topic,
                                         MqttAccess access, int qos, std::size_t payload_size)>;
    using OnPublish = std::function<void(const std::string& client_id, const std::string& topic,
                                         const std::string& payload)>;

    Broker(Scheduler& scheduler, NetworkOptions network);

    /// The host's policy (default: everything allowed) and its handler of every PUBLISH that the
    /// policy lets in (runs before the message is routed to subscribers).
    void set_authorize(Authorize authorize) { authorize_ = std::move(authorize); }
    void set_on_publish(OnPublish on_publish) { on_publish_ = std::move(on_publish); }

    // ---- the client side (a device's MQTT port) ----
    /// Starts a connection; the result arrives as connected() or connect_failed().
    ConnectionId connect(const std::string& client_id, bool clean_session,
                         MqttClientCallbacks callbacks);
    void subscribe(ConnectionId connection, const std::string& filter, int qos,
                   std::uint32_t token);
    void unsubscribe(ConnectionId connection, const std::string& filter, std::uint32_t token);
    void publish(ConnectionId connection, const std::string& topic, const std::string& payload,
                 int qos, std::uint32_t token);
    /// A clean DISCONNECT from the client (no callback follows).
    void disconnect(ConnectionId connection);
    /// The connection breaks (power cut, network loss): the client is told nothing (it knows),
    /// the broker forgets the connection at once; a persistent session stays.
    void drop(ConnectionId connection);

    // ---- the server side ----
    /// Publishes a message from the cloud: to `client_id` only when it is not empty (whether or
    /// not that client subscribed, as AWS IoT replies), else to every subscriber whose filter
    /// matches and whom the policy lets receive it. QoS 1.
    void deliver(const std::string& client_id, const std::string& topic,
                 const std::string& payload);
    /// The broker goes away: every client loses its connection, every session is forgotten, and
    /// connection attempts fail until start().
    void stop();
    void start();
    [[nodiscard]] bool running() const { return running_; }
    /// How many times the broker has stopped: a message the cloud computed before a stop and
    /// hands over after it is lost, as a plugin's publish is when its Mosquitto goes away.
    [[nodiscard]] std::uint64_t stops() const { return stops_; }

    [[nodiscard]] std::size_t connection_count() const { return connections_.size(); }
    /// Messages delivered to clients (PUBLISH packets that arrived), for reports and tests.
    [[nodiscard]] std::uint64_t messages_delivered() const { return messages_delivered_; }

private:
    struct Message {
        std::string topic;
        std::string payload;
    };
    struct Session {
        bool persistent = false;
        std::map<std::string, int> subscriptions; ///< filter -> granted QoS
        /// QoS 1 messages sent to the client and not yet arrived (redelivered at reconnect).
        std::deque<std::pair<std::uint64_t, Message>> in_flight;
        std::uint64_t next_message = 1;
    };
    struct Connection {
        std::string client_id;
        MqttClientCallbacks callbacks;
        bool established = false; ///< CONNACK sent
        Link to_broker;
        Link to_client;
    };

    Connection* find(ConnectionId connection);
    /// Ends a connection from the broker's side; `tell` sends connection_lost to the client.
    void close(ConnectionId connection, bool tell);
    void arrive_connect(ConnectionId connection, bool clean_session);
    void arrive_publish(ConnectionId connection, const std::string& topic,
                        const std::string& payload, int qos, std::uint32_t token);
    /// Queues a message into a client's session and sends it when connected.
    void send_to(const std::string& client_id, Message message);
    void send_in_flight(ConnectionId connection, std::uint64_t message_id);
    /// The clients a message on `topic` goes to: a subscription matches and the policy lets the
    /// client receive it; in client id order.
    std::vector<std::string> receivers(const std::string& topic, std::size_t payload_size) const;
    // The subscription index (exact_subscribers_, wildcard_subscribers_) follows every change of
    // a session's subscriptions: a publish costs the matching clients, not every session.
    void index_subscription(const std::string& client_id, const std::string& filter);
    void unindex_subscription(const std::string& client_id, const std::string& filter);
    void unindex_session(const std::string& client_id);
    /// Replaces a client's session with an empty one.
    void reset_session(const std::string& client_id);
    bool allowed(std::string_view client_id, std::string_view topic, MqttAccess access, int qos,
                 std::size_t payload_size) const;

    Scheduler& scheduler_;
    NetworkOptions network_;
    Authorize authorize_;
    OnPublish on_publish_;
    bool running_ = true;
    std::uint64_t stops_ = 0;
    ConnectionId next_connection_ = 1;
    std::map<ConnectionId, Connection> connections_;
    std::map<std::string, ConnectionId> by_client_; ///< established or connecting
    std::map<std::string, Session> sessions_;
    /// Filter without wildcards -> the clients subscribed to it.
    std::map<std::string, std::set<std::string>, std::less<>> exact_subscribers_;
    /// The clients holding at least one filter with '+' or '#'.
    std::set<std::string> wildcard_subscribers_;
    std::uint64_t messages_delivered_ = 0;
};

/// MQTT topic filter matching: '+' one level, '#' the rest (also the parent level), and a
/// wildcard at the first level never matches a topic starting with '$'.
bool topic_matches(std::string_view filter, std::string_view topic);

} // namespace fota::sim::simulation
