// A device's world on the virtual clock (sim_device_host.hpp).
#include "fota/sim/simulation/sim_device_host.hpp"

#include "fota/sim/mqtt_session_rules.hpp"

#include <algorithm>
#include <deque>
#include <functional>
#include <string>

namespace fota::sim::simulation {

namespace {

Duration to_virtual(HostDuration duration) {
    return std::chrono::duration_cast<Duration>(std::max(duration, HostDuration::zero()));
}

class SimTimer final : public HostTimer {
public:
    explicit SimTimer(Scheduler& scheduler) : scheduler_(scheduler) {}
    ~SimTimer() override { cancel(); }

    void start(HostDuration delay, std::function<void()> handler) override {
        cancel();
        event_ = scheduler_.after(to_virtual(delay), [this, handler = std::move(handler)] {
            event_ = 0;
            handler();
        });
    }

    void cancel() override {
        if (event_ != 0) {
            scheduler_.cancel(event_);
            event_ = 0;
        }
    }

private:
    Scheduler& scheduler_;
    Scheduler::EventId event_ = 0;
};

class SimMqttSession final : public std::enable_shared_from_this<SimMqttSession> {
public:
    SimMqttSession(Scheduler& scheduler, Broker& broker, MqttOptions options, MqttHandlers handlers)
        : scheduler_(scheduler), broker_(broker), options_(std::move(options)),
          handlers_(std::move(handlers)), random_(options_.seed) {}

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
        cancel_reconnect();
        if (connection_ != 0) {
            broker_.disconnect(connection_);
            connection_ = 0;
        }
        lose_session("stopped", false);
    }

    /// The owner goes: no handler runs any more, the broker forgets the connection.
    void close() {
        handlers_ = {};
        started_ = false;
        cancel_reconnect();
        if (connection_ != 0) {
            broker_.drop(connection_);
            connection_ = 0;
        }
        connected_ = false;
    }

    bool connected() const { return connected_; }

    MqttClient::Result subscribe(std::string_view filter) {
        if (!connected_) {
            return MqttClient::Result::NotConnected;
        }
        broker_.subscribe(connection_, std::string(filter), 1, next_token_++);
        return MqttClient::Result::Ok;
    }

    MqttClient::Result unsubscribe(std::string_view filter) {
        if (!connected_) {
            return MqttClient::Result::NotConnected;
        }
        broker_.unsubscribe(connection_, std::string(filter), next_token_++);
        return MqttClient::Result::Ok;
    }

    MqttClient::Result publish(std::string_view topic, std::string_view payload) {
        if (!connected_) {
            return MqttClient::Result::NotConnected;
        }
        broker_.publish(connection_, std::string(topic), std::string(payload), 1, next_token_++);
        ++stats_.publishes;
        return MqttClient::Result::Ok;
    }

    void drop_connection() {
        if (!started_) {
            return;
        }
        const bool was_connected = connected_;
        if (connection_ != 0) {
            broker_.drop(connection_);
            connection_ = 0;
        }
        if (was_connected) {
            lose_session("dropped by fault", false);
        }
        schedule_reconnect();
    }

    void go_offline(std::chrono::milliseconds duration) {
        offline_until_ = scheduler_.now() + std::chrono::duration_cast<Duration>(duration);
        if (connected_) {
            drop_connection();
        }
    }

    void lose_next_message(std::string topic_suffix) { lose_next_.arm(std::move(topic_suffix)); }

    MqttStats stats() const { return stats_; }

private:
    void connect_now() {
        ++stats_.connect_attempts;
        if (scheduler_.now() < offline_until_) {
            // No network: the attempt fails as a refused one would, and the backoff grows.
            ++stats_.offline_attempts;
            schedule_reconnect();
            return;
        }
        std::weak_ptr<SimMqttSession> weak = weak_from_this();
        // The broker's callbacks name the connection they belong to: one that was dropped or
        // replaced reports nothing.
        auto id = std::make_shared<Broker::ConnectionId>(0);
        auto current = [weak, id]() -> std::shared_ptr<SimMqttSession> {
            auto self = weak.lock();
            return self && self->started_ && self->connection_ == *id ? self : nullptr;
        };
        MqttClientCallbacks callbacks;
        callbacks.connected = [current](bool session_present) {
            if (auto self = current()) {
                self->on_connected(session_present);
            }
        };
        callbacks.connect_failed = [current] {
            if (auto self = current()) {
                self->on_connect_failed();
            }
        };
        callbacks.connection_lost = [current] {
            if (auto self = current()) {
                self->on_connection_lost();
            }
        };
        callbacks.message = [current](const std::string& topic, const std::string& payload) {
            if (auto self = current()) {
                self->on_message(topic, payload);
            }
        };
        connection_ =
            broker_.connect(options_.client_id, options_.clean_session, std::move(callbacks));
        *id = connection_;
    }

    void on_connected(bool session_present) {
        connected_ = true;
        attempts_since_success_ = 0;
        ++stats_.connections;
        if (handlers_.on_connected) {
            handlers_.on_connected(session_present);
        }
    }

    void on_connect_failed() {
        connection_ = 0;
        connected_ = false;
        if (handlers_.on_disconnected) {
            handlers_.on_disconnected(
                MqttDisconnect{"connect failed: the broker did not accept the connection", true});
        }
        schedule_reconnect();
    }

    void on_connection_lost() {
        connection_ = 0;
        lose_session("connection lost", false);
        schedule_reconnect();
    }

    void on_message(const std::string& topic, const std::string& payload) {
        if (!connected_) {
            return;
        }
        ++stats_.messages_received;
        if (lose_next_.take(topic)) {
            ++stats_.messages_dropped_by_fault;
            return;
        }
        if (handlers_.on_message) {
            handlers_.on_message(topic, payload);
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
        // The Paho session's backoff; the delay is drawn from [backoff/2, backoff].
        const std::uint64_t delay_ms =
            reconnect_delay_ms(options_, attempts_since_success_++, random_);
        cancel_reconnect();
        std::weak_ptr<SimMqttSession> weak = weak_from_this();
        reconnect_event_ = scheduler_.after(std::chrono::milliseconds(delay_ms), [weak] {
            auto self = weak.lock();
            if (!self) {
                return;
            }
            self->reconnect_event_ = 0;
            if (self->started_ && !self->connected_) {
                if (self->connection_ != 0) {
                    self->broker_.drop(self->connection_); // an attempt still under way
                    self->connection_ = 0;
                }
                self->connect_now();
            }
        });
    }

    void cancel_reconnect() {
        if (reconnect_event_ != 0) {
            scheduler_.cancel(reconnect_event_);
            reconnect_event_ = 0;
        }
    }

    Scheduler& scheduler_;
    Broker& broker_;
    MqttOptions options_;
    MqttHandlers handlers_;
    Random random_;
    bool started_ = false;
    bool connected_ = false;
    Broker::ConnectionId connection_ = 0; ///< the attempt or connection in hand
    std::uint32_t attempts_since_success_ = 0;
    std::uint32_t next_token_ = 1;
    Scheduler::EventId reconnect_event_ = 0;
    TimePoint offline_until_{0};
    LoseNextMessage lose_next_;
    MqttStats stats_;
};

class SimMqttClient final : public MqttClient {
public:
    explicit SimMqttClient(std::shared_ptr<SimMqttSession> session)
        : session_(std::move(session)) {}
    ~SimMqttClient() override { session_->close(); }

    void start() override { session_->start(); }
    void stop() override { session_->stop(); }
    bool connected() const override { return session_->connected(); }
    Result subscribe(std::string_view topic_filter) override {
        return session_->subscribe(topic_filter);
    }
    Result unsubscribe(std::string_view topic_filter) override {
        return session_->unsubscribe(topic_filter);
    }
    Result publish(std::string_view topic, std::string_view payload) override {
        return session_->publish(topic, payload);
    }
    void drop_connection() override { session_->drop_connection(); }
    void go_offline(std::chrono::milliseconds duration) override { session_->go_offline(duration); }
    void lose_next_message(std::string topic_suffix) override {
        session_->lose_next_message(std::move(topic_suffix));
    }
    MqttStats stats() const override { return session_->stats(); }

private:
    std::shared_ptr<SimMqttSession> session_;
};

/// The posted work of one host, run in order by one scheduler event at a time.
struct PostQueue {
    std::deque<std::function<void()>> work;
    bool scheduled = false;
};

class SimDeviceHost final : public DeviceHost {
public:
    explicit SimDeviceHost(SimWorld world) : world_(world), posts_(std::make_shared<PostQueue>()) {}

    void post(std::function<void()> work) override {
        posts_->work.push_back(std::move(work));
        if (posts_->scheduled) {
            return;
        }
        posts_->scheduled = true;
        std::weak_ptr<PostQueue> weak = posts_;
        world_.scheduler.after(Duration(0), [weak] {
            // What is posted while these run waits for the next event, as on a strand.
            auto queue = weak.lock();
            if (!queue) {
                return;
            }
            queue->scheduled = false;
            std::deque<std::function<void()>> batch;
            batch.swap(queue->work);
            for (auto& work : batch) {
                work();
                if (weak.expired()) {
                    return; // the host went with its device
                }
            }
        });
    }

    HostTime now() const override {
        return std::chrono::duration_cast<HostTime>(world_.scheduler.now());
    }

    std::unique_ptr<HostTimer> make_timer() override {
        return std::make_unique<SimTimer>(world_.scheduler);
    }

    std::unique_ptr<MqttClient> make_mqtt_client(MqttOptions options,
                                                 MqttHandlers handlers) override {
        return make_sim_mqtt_client(world_.scheduler, world_.broker, std::move(options),
                                    std::move(handlers));
    }

    std::unique_ptr<HttpClient> make_http_client(HttpClientOptions options) override {
        return std::make_unique<SimHttpClient>(world_.http, std::move(options));
    }

private:
    SimWorld world_;
    std::shared_ptr<PostQueue> posts_;
};

} // namespace

std::shared_ptr<DeviceHost> make_sim_device_host(SimWorld world) {
    return std::make_shared<SimDeviceHost>(world);
}

std::unique_ptr<MqttClient> make_sim_mqtt_client(Scheduler& scheduler, Broker& broker,
                                                 MqttOptions options, MqttHandlers handlers) {
    return std::make_unique<SimMqttClient>(std::make_shared<SimMqttSession>(
        scheduler, broker, std::move(options), std::move(handlers)));
}

} // namespace fota::sim::simulation
