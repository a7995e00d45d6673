#include "paho_client_pool.hpp"

#include <atomic>
#include <deque>
#include <unordered_map>
#include <utility>
#include <vector>

namespace fota::sim {

namespace {

// The pool of the process. Created on first use and deliberately leaked, like Paho's own threads
// and the connect waker: its clients must outlive every session, and destroying them is the
// crash described in the header.
class Pool {
public:
    PahoClientPool::Client& borrow(const std::string& uri, const std::string& client_id) {
        std::string key = uri + '\n' + client_id;
        while (PahoClientPool::Client* client = take_idle(key)) {
            // Not under the pool's lock: Paho's threads settle clients into it.
            if (client->paho().get_pending_delivery_tokens().empty()) {
                return *client;
            }
            keep_aside();
        }
        auto client = std::make_unique<PahoClientPool::Client>(uri, client_id, std::move(key));
        const std::lock_guard lock(mutex_);
        all_.push_back(std::move(client));
        return *all_.back();
    }

    void settle(PahoClientPool::Client& client, const std::string& key, bool reusable) {
        const std::lock_guard lock(mutex_);
        if (reusable) {
            idle_[key].push_back(&client);
            ++idle_count_;
        } else {
            ++kept_;
        }
    }

    PahoClientPool::Stats stats(std::uint64_t lent) {
        const std::lock_guard lock(mutex_);
        PahoClientPool::Stats stats;
        stats.created = all_.size();
        stats.idle = idle_count_;
        stats.kept = kept_;
        stats.lent = lent;
        stats.retiring = stats.created - stats.idle - stats.kept - stats.lent;
        return stats;
    }

private:
    PahoClientPool::Client* take_idle(const std::string& key) {
        const std::lock_guard lock(mutex_);
        const auto found = idle_.find(key);
        if (found == idle_.end() || found->second.empty()) {
            return nullptr;
        }
        PahoClientPool::Client* client = found->second.back();
        found->second.pop_back();
        --idle_count_;
        return client;
    }

    void keep_aside() {
        const std::lock_guard lock(mutex_);
        ++kept_;
    }

    std::mutex mutex_;
    std::deque<std::unique_ptr<PahoClientPool::Client>> all_;
    std::unordered_map<std::string, std::vector<PahoClientPool::Client*>> idle_;
    std::uint64_t idle_count_ = 0;
    std::uint64_t kept_ = 0;
};

Pool& pool() {
    static Pool* const instance = new Pool();
    return *instance;
}

std::atomic<std::uint64_t> lent_count{0};

} // namespace

PahoClientPool::Client& PahoClientPool::borrow(const std::string& uri, const std::string& client_id,
                                               std::weak_ptr<PahoSessionEvents> owner,
                                               std::uint64_t use) {
    Client& client = pool().borrow(uri, client_id);
    client.lend(std::move(owner), use);
    ++lent_count;
    return client;
}

void PahoClientPool::give_back(Client& client) {
    --lent_count;
    client.retire();
}

PahoClientPool::Stats PahoClientPool::stats() {
    return pool().stats(lent_count.load());
}

PahoClientPool::Client::Client(const std::string& uri, const std::string& client_id,
                               std::string key)
    : key_(std::move(key)), client_(uri, client_id, mqtt::create_options(MQTTVERSION_3_1_1),
                                    static_cast<mqtt::iclient_persistence*>(nullptr)) {
    connect_listener_.client = this;
    disconnect_listener_.client = this;
    // Set once: Paho's threads may be inside a handler whenever the client is connected.
    client_.set_connection_lost_handler(
        [this](const std::string& cause) { on_connection_lost(cause); });
    client_.set_message_callback([this](mqtt::const_message_ptr message) {
        std::uint64_t use = 0;
        if (auto session = owner(use)) {
            session->paho_message(use, std::move(message));
        }
    });
}

void PahoClientPool::Client::connect(const mqtt::connect_options& options) {
    {
        const std::lock_guard lock(mutex_);
        connect_pending_ = true;
    }
    try {
        pending_.take();
        client_.connect(options, nullptr, connect_listener_);
    } catch (const mqtt::exception&) {
        pending_.release();
        const std::lock_guard lock(mutex_);
        connect_pending_ = false;
        throw;
    }
}

void PahoClientPool::Client::lend(std::weak_ptr<PahoSessionEvents> owner, std::uint64_t use) {
    const std::lock_guard lock(mutex_);
    place_ = Place::Lent;
    owner_ = std::move(owner);
    use_ = use;
    lost_ = false;
}

void PahoClientPool::Client::retire() {
    pending_.release();
    bool disconnect_now = false;
    {
        const std::lock_guard lock(mutex_);
        place_ = Place::Retiring;
        owner_.reset();
        if (connected_ && !disconnecting_) {
            disconnecting_ = true;
            disconnect_now = true;
        }
    }
    if (disconnect_now) {
        disconnect();
    }
    settle_if_finished();
}

std::shared_ptr<PahoSessionEvents> PahoClientPool::Client::owner(std::uint64_t& use) {
    const std::lock_guard lock(mutex_);
    if (place_ != Place::Lent) {
        return nullptr;
    }
    use = use_;
    return owner_.lock();
}

void PahoClientPool::Client::on_connected(bool session_present) {
    pending_.release();
    bool disconnect_now = false;
    {
        const std::lock_guard lock(mutex_);
        connect_pending_ = false;
        connected_ = true;
        if (place_ != Place::Lent && !disconnecting_) {
            disconnecting_ = true;
            disconnect_now = true;
        }
    }
    if (disconnect_now) {
        // Given back while connecting. From Paho's callback, as Paho's own samples do: it only
        // queues the command.
        disconnect();
        settle_if_finished();
        return;
    }
    std::uint64_t use = 0;
    if (auto session = owner(use)) {
        session->paho_connected(use, session_present);
    }
}

void PahoClientPool::Client::on_connect_failed(int code) {
    pending_.release();
    {
        const std::lock_guard lock(mutex_);
        connect_pending_ = false;
    }
    std::uint64_t use = 0;
    if (auto session = owner(use)) {
        session->paho_connect_failed(use, code);
    }
    settle_if_finished();
}

void PahoClientPool::Client::on_connection_lost(const std::string& cause) {
    {
        const std::lock_guard lock(mutex_);
        connected_ = false;
        lost_ = true;
    }
    std::uint64_t use = 0;
    if (auto session = owner(use)) {
        session->paho_connection_lost(use, cause);
    }
    settle_if_finished();
}

void PahoClientPool::Client::on_disconnect_done() {
    {
        const std::lock_guard lock(mutex_);
        connected_ = false;
        disconnecting_ = false;
    }
    settle_if_finished();
}

void PahoClientPool::Client::disconnect() {
    try {
        client_.disconnect(0, nullptr, disconnect_listener_);
    } catch (const mqtt::exception&) {
        // Paho no longer counts it connected: its loss is being reported (on_connection_lost).
        const std::lock_guard lock(mutex_);
        disconnecting_ = false;
    }
}

void PahoClientPool::Client::settle_if_finished() {
    bool reusable = false;
    {
        const std::lock_guard lock(mutex_);
        if (place_ != Place::Retiring || connect_pending_ || connected_ ||
            (disconnecting_ && !lost_)) {
            return;
        }
        // Lost while our DISCONNECT was queued: Paho drops that command when it comes to it, but
        // lent again before, the command would end the next connection. Kept aside too.
        reusable = !lost_;
        place_ = reusable ? Place::Idle : Place::Kept;
    }
    pool().settle(*this, key_, reusable);
}

void PahoClientPool::Client::ConnectListener::on_success(const mqtt::token& token) {
    bool session_present = false;
    try {
        session_present = token.get_connect_response().is_session_present();
    } catch (...) {
        session_present = false;
    }
    client->on_connected(session_present);
}

void PahoClientPool::Client::ConnectListener::on_failure(const mqtt::token& token) {
    client->on_connect_failed(token.get_return_code());
}

void PahoClientPool::Client::DisconnectListener::on_success(const mqtt::token&) {
    client->on_disconnect_done();
}

void PahoClientPool::Client::DisconnectListener::on_failure(const mqtt::token&) {
    client->on_disconnect_done();
}

} // namespace fota::sim
