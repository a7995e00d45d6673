// The Paho clients of the process (PahoClientPool): lent to a session for one connection attempt,
// taken back once Paho has finished with them, lent again (for the same server and client id),
// and never destroyed while the process runs.
//
// Why never destroyed: Paho C 1.3.12's receive thread, whenever a socket of the process has a
// partly written packet, calls MQTTAsync_writeContinue from Socket_continueWrites holding only its
// socket mutex, and that walks the process's list of clients (MQTTAsync_handles). MQTTAsync_destroy
// takes the client out of that list under the other mutex (the unlink nulls the element and frees
// it), so a destroy anywhere in the process while a write is pending anywhere crashed the receive
// thread (SIGSEGV in the list walk; or corrupted the heap when the walk wrote into a freed client).
// Whether the destroyed client was connected does not matter, so disconnecting first does not
// help; no public call takes the socket mutex. Seen in 1 of 3 `fota-sim fleet --count 10000`
// runs (paho.mqtt.c #1669 is the same family). Creating a client only appends to that list, which
// the walk tolerates.
//
// Reuse keeps the count bounded: a session borrows a client per connection attempt, so a device
// that reconnects or reboots takes its own client back. A client goes back to the pool only when
// Paho has reported it finished: its connect failed, or the DISCONNECT we asked for completed
// (Paho sends it only after the client's earlier commands, so nothing of the old session is left
// queued). One whose connection was lost instead may still hold unsent commands of the old
// session (Paho would send them on the next connection), and one with publishes still in flight
// would resend them: both are kept aside, never lent again (PahoClientCounts::kept).
#pragma once

#include "fota/sim/paho_connect_waker.hpp"
#include "fota/sim/paho_mqtt_client.hpp"

#include <mqtt/async_client.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

namespace fota::sim {

/// What a borrowing session hears from its client. Called on Paho's threads: post and return.
/// `use` is the number the session gave when it borrowed the client.
class PahoSessionEvents {
public:
    virtual ~PahoSessionEvents() = default;
    virtual void paho_connected(std::uint64_t use, bool session_present) = 0;
    virtual void paho_connect_failed(std::uint64_t use, int code) = 0;
    virtual void paho_connection_lost(std::uint64_t use, const std::string& cause) = 0;
    virtual void paho_message(std::uint64_t use, mqtt::const_message_ptr message) = 0;
};

class PahoClientPool {
public:
    class Client;

    using Stats = PahoClientCounts;

    /// A client for `uri` and `client_id` (an idle one, or a new one), lent to `owner` until
    /// give_back(). Throws mqtt::exception when Paho refuses the URI or the client id.
    static Client& borrow(const std::string& uri, const std::string& client_id,
                          std::weak_ptr<PahoSessionEvents> owner, std::uint64_t use);
    /// The session is done with it (not from a Paho callback): disconnects it if connected (the
    /// broker sees a DISCONNECT) and lends it again once Paho has finished with it. No event
    /// reaches the owner afterwards.
    static void give_back(Client& client);
    static Stats stats();
};

/// One Paho client of the process. Its state is what Paho's callbacks said, under `mutex_`.
class PahoClientPool::Client {
public:
    Client(const std::string& uri, const std::string& client_id, std::string key);
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    /// Only while lent, from the borrowing session.
    mqtt::async_client& paho() { return client_; }
    /// Starts the connection attempt (the waker wakes Paho while it is pending). Throws
    /// mqtt::exception when Paho refuses it at once; no event follows then.
    void connect(const mqtt::connect_options& options);

private:
    friend class PahoClientPool;
    enum class Place : std::uint8_t { Lent, Retiring, Idle, Kept };

    struct ConnectListener final : mqtt::iaction_listener {
        Client* client = nullptr;
        void on_success(const mqtt::token& token) override;
        void on_failure(const mqtt::token& token) override;
    };
    struct DisconnectListener final : mqtt::iaction_listener {
        Client* client = nullptr;
        void on_success(const mqtt::token& token) override;
        void on_failure(const mqtt::token& token) override;
    };

    void lend(std::weak_ptr<PahoSessionEvents> owner, std::uint64_t use);
    void retire();
    void on_connected(bool session_present);
    void on_connect_failed(int code);
    void on_connection_lost(const std::string& cause);
    void on_disconnect_done();
    void disconnect();
    /// The owner while lent (with its use), else nothing.
    std::shared_ptr<PahoSessionEvents> owner(std::uint64_t& use);
    /// Back to the pool (or kept aside) once retired and Paho is done; never under mutex_.
    void settle_if_finished();

    const std::string key_;
    std::mutex mutex_; // never held while calling Paho
    Place place_ = Place::Lent;
    std::weak_ptr<PahoSessionEvents> owner_;
    std::uint64_t use_ = 0;
    bool connect_pending_ = false;
    bool connected_ = false;     // from CONNACK until the loss or our DISCONNECT completed
    bool disconnecting_ = false; // our DISCONNECT is queued
    bool lost_ = false;          // the last connection ended by a loss, not by our DISCONNECT
    // Taken while a connect is pending: Paho's receive thread is woken, and the socket it creates
    // gets TCP_NODELAY.
    PahoConnectWaker::Hold pending_;
    ConnectListener connect_listener_;
    DisconnectListener disconnect_listener_;
    mqtt::async_client client_; // declared last: destroyed first (never, in practice)
};

} // namespace fota::sim
