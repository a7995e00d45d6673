// What a simulated device needs from the world it runs in: somewhere to run work later, a clock,
// one-shot timers, and its MQTT session and HTTP client. The device runtime (simulator/device/)
// knows the world only through this, so the same runtime runs on Boost.Asio with Paho and libcurl
// over real sockets and the wall clock (make_asio_device_host) or on a virtual clock with an
// in-memory network in one thread.
#pragma once

#include "fota/sim/http_client.hpp"
#include "fota/sim/mqtt_client.hpp"

#include <chrono>
#include <functional>
#include <memory>

namespace fota::sim {

/// A point on the host's clock: the time since the host's epoch (the steady clock's for the Asio
/// host; the start of the run for a virtual clock).
using HostTime = std::chrono::nanoseconds;
using HostDuration = std::chrono::nanoseconds;

/// A one-shot timer of the host. Its handler runs in the host's context (as posted work), never
/// inside start() or cancel(), and never after cancel(), a later start() or the timer's
/// destruction.
class HostTimer {
public:
    virtual ~HostTimer() = default;
    HostTimer(const HostTimer&) = delete;
    HostTimer& operator=(const HostTimer&) = delete;

    /// Run handler once, delay from now; replaces a pending start.
    virtual void start(HostDuration delay, std::function<void()> handler) = 0;
    /// The pending handler, if any, never runs.
    virtual void cancel() = 0;

protected:
    HostTimer() = default;
};

/// The world of one device. Every call but post() is made in the host's context (the device's
/// strand on Asio, the simulation's one thread on a virtual clock); the clients it makes run
/// their handlers there too.
class DeviceHost {
public:
    virtual ~DeviceHost() = default;
    DeviceHost(const DeviceHost&) = delete;
    DeviceHost& operator=(const DeviceHost&) = delete;

    /// Run work later in the host's context, in the order posted; never inside the call. The
    /// Asio host accepts posts from any thread.
    virtual void post(std::function<void()> work) = 0;
    /// Now, on the host's clock.
    virtual HostTime now() const = 0;
    virtual std::unique_ptr<HostTimer> make_timer() = 0;
    /// The device's MQTT session (one per boot) and HTTP client (one per boot).
    virtual std::unique_ptr<MqttClient> make_mqtt_client(MqttOptions options,
                                                         MqttHandlers handlers) = 0;
    virtual std::unique_ptr<HttpClient> make_http_client(HttpClientOptions options) = 0;

protected:
    DeviceHost() = default;
};

} // namespace fota::sim
