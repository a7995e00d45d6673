#include "fota/sim/paho_mqtt_client.hpp"
#include "fota/sim/mqtt_session_rules.hpp"
#include "fota/sim/paho_connect_waker.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <mqtt/async_client.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <random>

namespace fota::sim {

namespace {

// How long a detached Paho client lives on before it is destroyed: long enough for a callback
// that Paho's thread had already entered to return (Paho gives no way to wait for it).
constexpr auto kPahoDestroyGrace = std::chrono::seconds(2);

} // namespace

class PahoMqttClient::Impl : public std::enable_shared_from_this<PahoMqttClient::Impl> {
public:
    Impl(Strand strand, MqttOptions options, MqttHandlers handlers)
        : strand_(std::move(strand)), options_(std::move(options)), handlers_(std::move(handlers)),
          reconnect_timer_(strand_), random_(options_.seed) {}

    // close() ran before (the owner's destructor); a Paho client still here is destroyed now.
    ~Impl() = default;

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
        if (connected_ && paho_) {
            try {
                paho_->client.disconnect(mqtt::disconnect_options(0));
            } catch (const mqtt::exception&) {
                // Already gone: nothing to say goodbye to.
            }
        }
        discard_paho();
        lose_session("stopped", false);
    }

    // Shutdown without handlers (destruction of the owner).
    void close() {
        started_ = false;
        handlers_ = {};
        reconnect_timer_.cancel();
        discard_paho();
    }

    bool connected() const { return connected_; }

    Result subscribe(std::string_view filter) {
        if (!connected_ || !paho_) {
            return Result::NotConnected;
        }
        try {
            paho_->client.subscribe(std::string(filter), 1);
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
            paho_->client.unsubscribe(std::string(filter));
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
            paho_->client.publish(std::string(topic), payload.data(), payload.size(), 1, false);
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
        // Paho has no way to abort a connection without a DISCONNECT (even destroying the
        // client sends one), so the broker sees a clean disconnect; the device sees a loss.
        const bool was_connected = connected_;
        if (paho_ && connected_) {
            try {
                paho_->client.disconnect(mqtt::disconnect_options(0));
            } catch (const mqtt::exception&) {
                // Already down.
            }
        }
        discard_paho();
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
    // Forwards Paho's callbacks to the strand for as long as the session owns the Paho client.
    // Paho's threads only ever touch this relay, never the Impl.
    struct Relay {
        std::mutex mutex;
        std::weak_ptr<Impl> target;
        std::uint64_t generation = 0;

        template <typename Function>
        void post(Function function) {
            std::shared_ptr<Impl> impl;
            std::uint64_t current = 0;
            {
                const std::lock_guard lock(mutex);
                impl = target.lock();
                current = generation;
            }
            if (impl) {
                boost::asio::post(impl->strand_, [impl, current, function = std::move(function)] {
                    if (impl->paho_ && impl->paho_->generation == current) {
                        function(*impl);
                    }
                });
            }
        }
        void detach() {
            const std::lock_guard lock(mutex);
            target.reset();
        }
    };

    struct ConnectListener final : mqtt::iaction_listener {
        std::shared_ptr<Relay> relay;
        // Taken while the connect is pending: Paho's receive thread is woken, and the socket it
        // creates gets TCP_NODELAY.
        PahoConnectWaker::Hold pending;
        void on_success(const mqtt::token& token) override {
            pending.release();
            bool session_present = false;
            try {
                session_present = token.get_connect_response().is_session_present();
            } catch (...) {
                session_present = false;
            }
            relay->post(
                [session_present](Impl& impl) { impl.on_connect_success(session_present); });
        }
        void on_failure(const mqtt::token& token) override {
            pending.release();
            const int code = token.get_return_code();
            relay->post([code](Impl& impl) { impl.on_connect_failure(code); });
        }
    };

    // One Paho client; a new one per connection attempt after a loss. The listener is declared
    // before the client so that it outlives it.
    struct Paho {
        Paho(const std::string& uri, const std::string& client_id, std::uint64_t generation_)
            : generation(generation_),
              client(uri, client_id, mqtt::create_options(MQTTVERSION_3_1_1),
                     static_cast<mqtt::iclient_persistence*>(nullptr)) {}
        std::uint64_t generation;
        std::shared_ptr<Relay> relay = std::make_shared<Relay>();
        ConnectListener listener;
        mqtt::async_client client;
    };

    std::string server_uri() const {
        return std::string(options_.use_tls ? "ssl://" : "tcp://") + options_.host + ":" +
               std::to_string(options_.port);
    }

    void connect_now() {
        discard_paho();
        ++stats_.connect_attempts;
        if (std::chrono::steady_clock::now() < offline_until_) {
            // No network: the attempt fails as a refused one would, and the backoff grows.
            ++stats_.offline_attempts;
            schedule_reconnect();
            return;
        }
        const std::uint64_t generation = ++generation_;
        try {
            paho_ = std::make_unique<Paho>(server_uri(), options_.client_id, generation);
        } catch (const mqtt::exception& error) {
            // A malformed URI or client id: no attempt can succeed; report and stay down.
            paho_.reset();
            if (handlers_.on_disconnected) {
                handlers_.on_disconnected(MqttDisconnect{error.what(), true});
            }
            return;
        }
        {
            const std::lock_guard lock(paho_->relay->mutex);
            paho_->relay->target = weak_from_this();
            paho_->relay->generation = generation;
        }
        paho_->listener.relay = paho_->relay;
        auto relay = paho_->relay;
        paho_->client.set_connection_lost_handler([relay](const std::string& cause) {
            relay->post([cause](Impl& impl) { impl.on_connection_lost(cause); });
        });
        paho_->client.set_message_callback([relay](mqtt::const_message_ptr message) {
            relay->post([message](Impl& impl) { impl.on_message(*message); });
        });

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
            paho_->listener.pending.take();
            paho_->client.connect(connect, nullptr, paho_->listener);
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
        discard_paho();
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
        discard_paho();
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
        const std::uint64_t backoff = reconnect_backoff_ms(options_, attempts_since_success_++);
        std::uniform_int_distribution<std::uint64_t> jitter(backoff / 2, backoff);
        const auto delay = std::chrono::milliseconds(jitter(random_));
        reconnect_timer_.expires_after(delay);
        reconnect_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
            if (!ec && self->started_ && !self->connected_) {
                self->connect_now();
            }
        });
    }

    // Detach the Paho client from this session; it is destroyed a little later off our hands.
    void discard_paho() {
        if (!paho_) {
            return;
        }
        paho_->relay->detach();
        paho_->listener.pending.release();
        std::shared_ptr<Paho> doomed(std::move(paho_));
        auto grave = std::make_shared<boost::asio::steady_timer>(strand_);
        grave->expires_after(kPahoDestroyGrace);
        grave->async_wait([grave, doomed](boost::system::error_code) mutable { doomed.reset(); });
    }

    Strand strand_;
    MqttOptions options_;
    MqttHandlers handlers_;
    boost::asio::steady_timer reconnect_timer_;
    std::mt19937_64 random_;
    std::unique_ptr<Paho> paho_;
    std::uint64_t generation_ = 0;
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

} // namespace fota::sim
