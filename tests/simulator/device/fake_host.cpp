// The fake host's clock, queue and timers, and its MQTT and HTTP clients: they keep the contract
// of the interfaces (handlers posted, never inside a call, never after cancel or destruction)
// with no network at all.
#include "fake_host.hpp"

#include <algorithm>

namespace fota::sim::test {

namespace {

class FakeTimer final : public HostTimer {
public:
    explicit FakeTimer(FakeHost& host) : host_(host) {}
    ~FakeTimer() override { cancel(); }
    FakeTimer(const FakeTimer&) = delete;
    FakeTimer& operator=(const FakeTimer&) = delete;

    void start(HostDuration delay, std::function<void()> handler) override {
        cancel();
        id_ = host_.arm(host_.now() + delay, std::move(handler));
    }
    void cancel() override {
        if (id_ != 0) {
            host_.disarm(id_);
            id_ = 0;
        }
    }

private:
    FakeHost& host_;
    std::uint64_t id_ = 0;
};

// Connects (one posted turn after an attempt) unless offline; an attempt while offline waits for
// the end of it on a host timer, as a backoff would.
class FakeMqtt final : public MqttClient {
public:
    FakeMqtt(FakeHost& host, MqttHandlers handlers, std::shared_ptr<MqttRecord> record)
        : host_(host), handlers_(std::move(handlers)), record_(std::move(record)),
          retry_(host.make_timer()) {
        ++host_.live_clients;
    }
    ~FakeMqtt() override {
        record_->destroyed = true;
        --host_.live_clients;
    }
    FakeMqtt(const FakeMqtt&) = delete;
    FakeMqtt& operator=(const FakeMqtt&) = delete;

    void start() override {
        if (started_) {
            return;
        }
        started_ = true;
        record_->started = true;
        attempt();
    }
    void stop() override {
        if (!started_) {
            return;
        }
        started_ = false;
        record_->stopped = true;
        retry_->cancel();
        lose("stopped");
    }
    bool connected() const override { return connected_; }
    Result subscribe(std::string_view topic_filter) override {
        if (!connected_) {
            return Result::NotConnected;
        }
        record_->subscriptions.emplace_back(topic_filter);
        return Result::Ok;
    }
    Result unsubscribe(std::string_view topic_filter) override {
        if (!connected_) {
            return Result::NotConnected;
        }
        std::erase(record_->subscriptions, std::string(topic_filter));
        return Result::Ok;
    }
    Result publish(std::string_view topic, std::string_view payload) override {
        if (!connected_) {
            return Result::NotConnected;
        }
        ++stats_.publishes;
        record_->publishes.emplace_back(topic, payload);
        return Result::Ok;
    }
    void drop_connection() override {
        if (started_ && connected_) {
            lose("dropped by fault");
            retry_->start(1s, [this] { attempt(); });
        }
    }
    void go_offline(std::chrono::milliseconds duration) override {
        record_->offline_calls.push_back(duration);
        offline_until_ = host_.now() + duration;
        if (started_ && connected_) {
            lose("offline");
            attempt();
        }
    }
    void lose_next_message(std::string /*topic_suffix*/) override {}
    MqttStats stats() const override { return stats_; }

private:
    void attempt() {
        ++stats_.connect_attempts;
        if (host_.now() < offline_until_) {
            ++stats_.offline_attempts;
            retry_->start(offline_until_ - host_.now(), [this] { attempt(); });
            return;
        }
        later([](FakeMqtt& client) {
            if (!client.started_ || client.connected_) {
                return;
            }
            client.connected_ = true;
            ++client.stats_.connections;
            client.record_->connected_at.push_back(client.host_.now());
            if (client.handlers_.on_connected) {
                client.handlers_.on_connected(false);
            }
        });
    }
    void lose(std::string reason) {
        if (!connected_) {
            return;
        }
        connected_ = false;
        later([reason = std::move(reason)](FakeMqtt& client) {
            if (client.handlers_.on_disconnected) {
                client.handlers_.on_disconnected(MqttDisconnect{reason, false});
            }
        });
    }
    // Posted work that does nothing once the client is gone.
    void later(std::function<void(FakeMqtt&)> work) {
        host_.post([alive = std::weak_ptr<int>(alive_), this, work = std::move(work)] {
            if (alive.lock()) {
                work(*this);
            }
        });
    }

    FakeHost& host_;
    MqttHandlers handlers_;
    std::shared_ptr<MqttRecord> record_;
    std::unique_ptr<HostTimer> retry_;
    std::shared_ptr<int> alive_ = std::make_shared<int>(0);
    HostTime offline_until_{0};
    bool started_ = false;
    bool connected_ = false;
    MqttStats stats_;
};

// Answers each request in one posted turn with the host's http_answer; a paused request is
// answered when resumed.
class FakeHttp final : public HttpClient {
public:
    explicit FakeHttp(FakeHost& host) : host_(host) { ++host_.live_clients; }
    ~FakeHttp() override { --host_.live_clients; }
    FakeHttp(const FakeHttp&) = delete;
    FakeHttp& operator=(const FakeHttp&) = delete;

    std::uint64_t start(const HttpRequestSpec& request, HttpHandlers handlers) override {
        const std::uint64_t id = next_id_++;
        transfers_[id] = Transfer{request, std::move(handlers), false};
        host_.http_requests.push_back(HttpRecord{request, host_.now()});
        ++stats_.requests_started;
        ++stats_.connections_opened;
        answer_later(id);
        return id;
    }
    void cancel(std::uint64_t id) override { transfers_.erase(id); }
    void pause(std::uint64_t id) override {
        if (auto found = transfers_.find(id); found != transfers_.end()) {
            found->second.paused = true;
        }
    }
    void resume(std::uint64_t id) override {
        if (auto found = transfers_.find(id); found != transfers_.end() && found->second.paused) {
            found->second.paused = false;
            answer_later(id);
        }
    }
    void cancel_all() override { transfers_.clear(); }
    HttpClientStats stats() const override { return stats_; }

private:
    struct Transfer {
        HttpRequestSpec spec;
        HttpHandlers handlers;
        bool paused = false;
    };

    void answer_later(std::uint64_t id) {
        host_.post([alive = std::weak_ptr<int>(alive_), this, id] {
            if (alive.lock()) {
                answer(id);
            }
        });
    }

    void answer(std::uint64_t id) {
        auto found = transfers_.find(id);
        if (found == transfers_.end() || found->second.paused) {
            return; // cancelled, or answered on resume()
        }
        const HttpAnswer reply =
            host_.http_answer ? host_.http_answer(found->second.spec) : HttpAnswer{};
        HttpHandlers handlers = std::move(found->second.handlers);
        transfers_.erase(found);
        if (reply.failure) {
            handlers.on_error(*reply.failure, "fake failure");
            return;
        }
        handlers.on_status(reply.status);
        const auto* bytes = reinterpret_cast<const std::uint8_t*>(reply.body.data());
        if (!reply.body.empty()) {
            stats_.body_bytes += reply.body.size();
            handlers.on_body(std::span<const std::uint8_t>(bytes, reply.body.size()));
        }
        handlers.on_done();
    }

    FakeHost& host_;
    std::map<std::uint64_t, Transfer> transfers_;
    std::uint64_t next_id_ = 1;
    std::shared_ptr<int> alive_ = std::make_shared<int>(0);
    HttpClientStats stats_;
};

} // namespace

FakeHost::~FakeHost() {
    queue_.clear();
    armed_.clear();
}

void FakeHost::post(std::function<void()> work) {
    queue_.push_back(std::move(work));
}

std::unique_ptr<HostTimer> FakeHost::make_timer() {
    return std::make_unique<FakeTimer>(*this);
}

std::unique_ptr<MqttClient> FakeHost::make_mqtt_client(MqttOptions options, MqttHandlers handlers) {
    auto record = std::make_shared<MqttRecord>();
    record->options = std::move(options);
    mqtt_sessions.push_back(record);
    return std::make_unique<FakeMqtt>(*this, std::move(handlers), std::move(record));
}

std::unique_ptr<HttpClient> FakeHost::make_http_client(HttpClientOptions /*options*/) {
    ++http_clients_made;
    return std::make_unique<FakeHttp>(*this);
}

std::size_t FakeHost::run_posted() {
    std::size_t ran = 0;
    while (!queue_.empty()) {
        std::function<void()> work = std::move(queue_.front());
        queue_.pop_front();
        work();
        ++ran;
    }
    return ran;
}

void FakeHost::advance_to(HostTime until) {
    run_posted();
    while (true) {
        const auto due = std::min_element(armed_.begin(), armed_.end(), [](auto& a, auto& b) {
            return a.second.deadline < b.second.deadline;
        });
        if (due == armed_.end() || due->second.deadline > until) {
            break;
        }
        now_ = std::max(now_, due->second.deadline);
        std::function<void()> handler = std::move(due->second.handler);
        armed_.erase(due);
        handler();
        run_posted();
    }
    now_ = std::max(now_, until);
    run_posted();
}

std::optional<HostTime> FakeHost::next_deadline() const {
    std::optional<HostTime> next;
    for (const auto& [id, armed] : armed_) {
        if (!next || armed.deadline < *next) {
            next = armed.deadline;
        }
    }
    return next;
}

std::uint64_t FakeHost::arm(HostTime deadline, std::function<void()> handler) {
    const std::uint64_t id = next_timer_++;
    armed_.emplace(id, Armed{deadline, std::move(handler)});
    return id;
}

void FakeHost::disarm(std::uint64_t id) {
    armed_.erase(id);
}

} // namespace fota::sim::test
