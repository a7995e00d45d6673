// The Asio DeviceHost: posts and timers on a strand of the io_context, the steady clock, the MQTT
// session (Paho or Asio) and libcurl on the same strand.
#include "fota/sim/asio_device_host.hpp"

#include "fota/sim/asio_mqtt_client.hpp"
#include "fota/sim/curl_http_client.hpp"
#include "fota/sim/paho_mqtt_client.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>

namespace fota::sim {

namespace {

// A steady timer on the strand. Asio may already have queued the handler of an expired wait when
// cancel() comes; the generation makes sure such a handler does nothing.
class AsioTimer final : public HostTimer {
public:
    explicit AsioTimer(const Strand& strand) : timer_(strand) {}
    ~AsioTimer() override { cancel(); }
    AsioTimer(const AsioTimer&) = delete;
    AsioTimer& operator=(const AsioTimer&) = delete;

    void start(HostDuration delay, std::function<void()> handler) override {
        const std::uint64_t generation = ++*generation_;
        timer_.expires_after(delay);
        timer_.async_wait([current = std::weak_ptr<std::uint64_t>(generation_), generation,
                           handler = std::move(handler)](boost::system::error_code ec) {
            const auto live = current.lock();
            if (!ec && live && *live == generation) {
                handler();
            }
        });
    }

    void cancel() override {
        ++*generation_;
        timer_.cancel();
    }

private:
    boost::asio::steady_timer timer_;
    std::shared_ptr<std::uint64_t> generation_ = std::make_shared<std::uint64_t>(0);
};

class AsioDeviceHost final : public DeviceHost {
public:
    AsioDeviceHost(AsioContext& io, MqttImplementation mqtt)
        : strand_(boost::asio::make_strand(io)), mqtt_(mqtt) {}

    void post(std::function<void()> work) override { boost::asio::post(strand_, std::move(work)); }

    HostTime now() const override {
        return std::chrono::duration_cast<HostTime>(
            std::chrono::steady_clock::now().time_since_epoch());
    }

    std::unique_ptr<HostTimer> make_timer() override {
        return std::make_unique<AsioTimer>(strand_);
    }

    std::unique_ptr<MqttClient> make_mqtt_client(MqttOptions options,
                                                 MqttHandlers handlers) override {
        if (mqtt_ == MqttImplementation::asio) {
            return std::make_unique<AsioMqttClient>(strand_, std::move(options),
                                                    std::move(handlers));
        }
        return std::make_unique<PahoMqttClient>(strand_, std::move(options), std::move(handlers));
    }

    std::unique_ptr<HttpClient> make_http_client(HttpClientOptions options) override {
        return std::make_unique<CurlHttpClient>(strand_, std::move(options));
    }

private:
    Strand strand_;
    MqttImplementation mqtt_;
};

} // namespace

std::string_view to_string(MqttImplementation implementation) {
    return implementation == MqttImplementation::asio ? "asio" : "paho";
}

std::optional<MqttImplementation> mqtt_implementation_from(std::string_view text) {
    if (text == "paho") {
        return MqttImplementation::paho;
    }
    if (text == "asio") {
        return MqttImplementation::asio;
    }
    return std::nullopt;
}

std::shared_ptr<DeviceHost> make_asio_device_host(AsioContext& io, MqttImplementation mqtt) {
    return std::make_shared<AsioDeviceHost>(io, mqtt);
}

} // namespace fota::sim
