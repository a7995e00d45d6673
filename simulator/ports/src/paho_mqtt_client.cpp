#include "fota/sim/paho_mqtt_client.hpp"
#include "fota/flash/rng.hpp"
#include "fota/sim/mqtt_session_rules.hpp"
#include "paho_client_pool.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <mqtt/async_client.h>

#include <algorithm>
#include <chrono>

namespace fota::sim {

class PahoMqttClient::Impl : public PahoSessionEvents,
                             public std::enable_shared_from_this<PahoMqttClient::Impl> {
public:
    Impl(Strand strand, MqttOptions options, MqttHandlers handlers)
        : strand_(std::move(strand)), options_(std::move(options)), handlers_(std::move(handlers)),
          reconnect_timer_(strand_), random_(options_.seed) {}

    // close() ran before (the owner's destructor) and gave the Paho client back.
    ~Impl() override = default;

    void start() {
        if (started_) {
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
        give_back_paho(); // a connected client sends DISCONNECT
        lose_session("stopped", false);
    }

    // Shutdown without handlers (destruction of the owner: a device's reboot or power cut). The
    // broker sees a clean DISCONNECT at once (a connecting client sends it once its CONNACK
    // arrives), not a power cut's silence: Paho cannot end a connection any other way.
    void close() {
        started_ = false;
        handlers_ = {};
        reconnect_timer_.cancel();
        give_back_paho();
    }

    bool connected() const { return connected_; }

    Result subscribe(std::string_view filter) {
        if (!connected_ || !paho_) {
            return Result::NotConnected;
        }
        try {
            paho_->paho().subscribe(std::string(filter), 1);
            return Result::Ok;
        } catch (const mqtt::exception&) {
            return Result::Error;
        }
    }

    Result unsubscribe(std::string_view filter) {
        if (!connected_ || !paho_) {
            return Result::NotConnected;
        }
        try {
            paho_->paho().unsubscribe(std::string(filter));
            return Result::Ok;
        } catch (const mqtt::exception&) {
            return Result::Error;
        }
    }

    Result publish(std::string_view topic, std::string_view payload) {
        if (!connected_ || !paho_) {
            return Result::NotConnected;
        }
        try {
            paho_->paho().publish(std::string(topic), payload.data(), payload.size(), 1, false);
            ++stats_.publishes;
            return Result::Ok;
        } catch (const mqtt::exception&) {
            return Result::Error;
        }
    }

    void drop_connection() {
        if (!started_) {
            return;
        }
        // Paho has no way to abort a connection without a DISCONNECT, so the broker sees a clean
        // disconnect; the device sees a loss.
        const bool was_connected = connected_;
        give_back_paho();
        if (was_connected) {
            lose_session("dropped by fault", false);
        }
        schedule_reconnect();
    }

    void go_offline(std::chrono::milliseconds duration) {
        offline_until_ = std::chrono::steady_clock::now() + duration;
        if (connected_) {
            drop_connection();
        }
    }

    void lose_next_message(std::string topic_suffix) { lose_next_.arm(std::move(topic_suffix)); }

    MqttStats stats() const { return stats_; }

private:
    // Paho's callbacks (Paho's threads): they only post onto the strand (strand_ never changes),
    // where an event is dropped unless the session still holds the client borrowed for that use.
    template <typename Function>
    void post_for(std::uint64_t use, Function function) {
        boost::asio::post(
            strand_, [self = shared_from_this(), use, function = std::move(function)]() mutable {
                if (self->paho_ != nullptr && self->paho_use_ == use) {
                    function(*self);
                }
            });
    }
    void paho_connected(std::uint64_t use, bool session_present) override {
        post_for(use, [session_present](Impl& impl) { impl.on_connect_success(session_present); });
    }
    void paho_connect_failed(std::uint64_t use, int code) override {
        post_for(use, [code](Impl& impl) { impl.on_connect_failure(code); });
    }
    void paho_connection_lost(std::uint64_t use, const std::string& cause) override {
        post_for(use, [cause](Impl& impl) { impl.on_connection_lost(cause); });
    }
    void paho_message(std::uint64_t use, mqtt::const_message_ptr message) override {
        post_for(use, [message = std::move(message)](Impl& impl) { impl.on_message(*message); });
    }

    std::string server_uri() const {
        return std::string(options_.use_tls ? "ssl://" : "tcp://") + options_.host + ":" +
               std::to_string(options_.port);
    }

    void connect_now() {
        give_back_paho();
        ++stats_.connect_attempts;
        if (std::chrono::steady_clock::now() < offline_until_) {
            // No network: the attempt fails as a refused one would, and the backoff grows.
            ++stats_.offline_attempts;
            schedule_reconnect();
            return;
        }
        const std::uint64_t use = ++uses_;
        try {
            paho_ =
                &PahoClientPool::borrow(server_uri(), options_.client_id, weak_from_this(), use);
            paho_use_ = use;
        } catch (const mqtt::exception& error) {
            // A malformed URI or client id: no attempt can succeed; report and stay down.
            if (handlers_.on_disconnected) {
                handlers_.on_disconnected(MqttDisconnect{error.what(), true});
            }
            return;
        }

        mqtt::connect_options connect;
        connect.set_mqtt_version(MQTTVERSION_3_1_1);
        connect.set_clean_session(options_.clean_session);
        connect.set_keep_alive_interval(static_cast<int>(options_.keep_alive_s));
        connect.set_connect_timeout(static_cast<int>(options_.connect_timeout_s));
        connect.set_automatic_reconnect(false);
        if (options_.use_tls) {
            mqtt::ssl_options tls;
            if (!options_.tls.ca_file.empty()) {
                tls.set_trust_store(options_.tls.ca_file);
            }
            if (!options_.tls.cert_file.empty()) {
                tls.set_key_store(options_.tls.cert_file);
            }
            if (!options_.tls.key_file.empty()) {
                tls.set_private_key(options_.tls.key_file);
            }
            tls.set_enable_server_cert_auth(options_.tls.verify_server);
            tls.set_verify(options_.tls.verify_server);
            connect.set_ssl(std::move(tls));
        }
        try {
            paho_->connect(connect);
        } catch (const mqtt::exception& error) {
            on_connect_failure(error.get_return_code());
        }
    }

    void on_connect_success(bool session_present) {
        if (!started_) {
            return;
        }
        connected_ = true;
        attempts_since_success_ = 0;
        ++stats_.connections;
        if (handlers_.on_connected) {
            handlers_.on_connected(session_present);
        }
    }

    void on_connect_failure(int code) {
        if (!started_) {
            return;
        }
        connected_ = false;
        give_back_paho();
        if (handlers_.on_disconnected) {
            handlers_.on_disconnected(
                MqttDisconnect{"connect failed: " + mqtt::exception::error_str(code) +
                                   " (Paho code " + std::to_string(code) + ")",
                               true});
        }
        schedule_reconnect();
    }

    void on_connection_lost(const std::string& cause) {
        if (!started_) {
            return;
        }
        give_back_paho();
        lose_session(cause.empty() ? "connection lost" : "connection lost: " + cause, false);
        schedule_reconnect();
    }

    void on_message(const mqtt::message& message) {
        if (!connected_) {
            return;
        }
        ++stats_.messages_received;
        const std::string& topic = message.get_topic();
        if (lose_next_.take(topic)) {
            ++stats_.messages_dropped_by_fault;
            return;
        }
        if (handlers_.on_message) {
            const auto& payload = message.get_payload_ref();
            handlers_.on_message(message.get_topic(),
                                 std::string_view(payload.data(), payload.size()));
        }
    }

    void lose_session(const std::string& reason, bool refused) {
        if (!connected_) {
            return;
        }
        connected_ = false;
        if (handlers_.on_disconnected) {
            handlers_.on_disconnected(MqttDisconnect{reason, refused});
        }
    }

    void schedule_reconnect() {
        if (!started_) {
            return;
        }
        // The capped exponential backoff (mqtt_session_rules.hpp); the delay is drawn from
        // [backoff/2, backoff].
        reconnect_timer_.expires_after(std::chrono::milliseconds(
            reconnect_delay_ms(options_, attempts_since_success_++, random_)));
        reconnect_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
            if (!ec && self->started_ && !self->connected_) {
                self->connect_now();
            }
        });
    }

    // The Paho client goes back to the process's pool (paho_client_pool.hpp: never destroyed);
    // no event of it reaches this session afterwards.
    void give_back_paho() {
        if (paho_ == nullptr) {
            return;
        }
        PahoClientPool::give_back(*std::exchange(paho_, nullptr));
    }

    Strand strand_;
    MqttOptions options_;
    MqttHandlers handlers_;
    boost::asio::steady_timer reconnect_timer_;
    // SplitMix64: 8 bytes a session (std::mt19937_64 was 2.5 KiB of each fleet device's memory).
    fota::flash::SplitMix64 random_;
    PahoClientPool::Client* paho_ = nullptr; // lent by the pool for this connection attempt
    std::uint64_t paho_use_ = 0;             // the use paho_ was lent for
    std::uint64_t uses_ = 0;
    std::uint32_t attempts_since_success_ = 0;
    bool started_ = false;
    bool connected_ = false;
    LoseNextMessage lose_next_;
    std::chrono::steady_clock::time_point offline_until_{}; // no attempt succeeds before it
    MqttStats stats_;
};

PahoMqttClient::PahoMqttClient(Strand strand, MqttOptions options, MqttHandlers handlers)
    : impl_(std::make_shared<Impl>(std::move(strand), std::move(options), std::move(handlers))) {}

PahoMqttClient::~PahoMqttClient() {
    impl_->close();
}

void PahoMqttClient::start() {
    impl_->start();
}
void PahoMqttClient::stop() {
    impl_->stop();
}
bool PahoMqttClient::connected() const {
    return impl_->connected();
}
MqttClient::Result PahoMqttClient::subscribe(std::string_view filter) {
    return impl_->subscribe(filter);
}
MqttClient::Result PahoMqttClient::unsubscribe(std::string_view filter) {
    return impl_->unsubscribe(filter);
}
MqttClient::Result PahoMqttClient::publish(std::string_view topic, std::string_view payload) {
    return impl_->publish(topic, payload);
}
void PahoMqttClient::drop_connection() {
    impl_->drop_connection();
}
void PahoMqttClient::go_offline(std::chrono::milliseconds duration) {
    impl_->go_offline(duration);
}
void PahoMqttClient::lose_next_message(std::string topic_suffix) {
    impl_->lose_next_message(std::move(topic_suffix));
}
MqttStats PahoMqttClient::stats() const {
    return impl_->stats();
}
PahoClientCounts PahoMqttClient::paho_clients() {
    return PahoClientPool::stats();
}

} // namespace fota::sim
