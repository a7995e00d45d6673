// A DeviceHost for tests, in one thread and without Asio, sockets or the wall clock: a manual
// clock, a queue of posted work, timers on that clock, and fake MQTT and HTTP clients whose
// traffic the test reads and answers. A device runtime that ran here but used Asio or the steady
// clock behind its host's back would stand still or see the wrong time.
#pragma once

#include "fota/sim/device_host.hpp"

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace fota::sim::test {

using namespace std::chrono_literals;

class FakeHost;

/// What the MQTT clients a host made did, kept after they are destroyed (one per boot).
struct MqttRecord {
    MqttOptions options;
    bool started = false;
    bool stopped = false; ///< stop() (a clean DISCONNECT)
    bool destroyed = false;
    std::vector<std::string> subscriptions;
    std::vector<std::pair<std::string, std::string>> publishes;
    std::vector<std::chrono::milliseconds> offline_calls; ///< go_offline(duration)
    std::vector<HostTime> connected_at;                   ///< CONNACKs, on the host's clock
};

/// One HTTP request a client started.
struct HttpRecord {
    HttpRequestSpec spec;
    HostTime started_at{};
};

/// How the host answers an HTTP request: a status with a body, or a transport failure.
struct HttpAnswer {
    int status = 200;
    std::string body;
    std::optional<HttpFailure> failure;
};

class FakeHost final : public DeviceHost {
public:
    FakeHost() = default;
    ~FakeHost() override;
    FakeHost(const FakeHost&) = delete;
    FakeHost& operator=(const FakeHost&) = delete;

    // ---- DeviceHost ----
    void post(std::function<void()> work) override;
    HostTime now() const override { return now_; }
    std::unique_ptr<HostTimer> make_timer() override;
    std::unique_ptr<MqttClient> make_mqtt_client(MqttOptions options,
                                                 MqttHandlers handlers) override;
    std::unique_ptr<HttpClient> make_http_client(HttpClientOptions options) override;

    // ---- driving it ----
    /// Runs posted work (and what it posts) until none is left; returns how many ran.
    std::size_t run_posted();
    /// Moves the clock to `until`, firing due timers in deadline order (posted work runs after
    /// each), then runs what is posted.
    void advance_to(HostTime until);
    void advance(HostDuration by) { advance_to(now_ + by); }
    std::size_t posted() const { return queue_.size(); }
    std::size_t armed_timers() const { return armed_.size(); }
    /// The earliest armed timer's deadline.
    std::optional<HostTime> next_deadline() const;

    // ---- the network ----
    /// Answers every HTTP request (as work posted after start()); default 200, empty body.
    std::function<HttpAnswer(const HttpRequestSpec&)> http_answer;
    std::vector<HttpRecord> http_requests;
    std::vector<std::shared_ptr<MqttRecord>> mqtt_sessions; ///< one per make_mqtt_client()
    std::size_t http_clients_made = 0;
    std::size_t live_clients = 0; ///< MQTT and HTTP clients not yet destroyed

    // For the fake timers and clients.
    std::uint64_t arm(HostTime deadline, std::function<void()> handler);
    void disarm(std::uint64_t id);

private:
    struct Armed {
        HostTime deadline;
        std::function<void()> handler;
    };
    HostTime now_{0};
    std::deque<std::function<void()>> queue_;
    std::map<std::uint64_t, Armed> armed_; // by arming order
    std::uint64_t next_timer_ = 1;
};

} // namespace fota::sim::test
