#include "device_host.hpp"

#include "fota/sim/device_runtime.hpp"

#include <future>

namespace fota::sim::runner {

struct HostDevice::Impl {
    std::unique_ptr<DeviceRuntime> runtime;
};

HostDevice::HostDevice(boost::asio::io_context& io, const HostDeviceOptions& options)
    : impl_(std::make_unique<Impl>()) {
    DeviceOptions o;
    o.thing_name = options.thing;
    o.mqtt_host = options.mqtt_host;
    o.mqtt_port = options.mqtt_port;
    o.shadow_base_url = options.shadow_base_url;
    o.flash_file = options.flash_file;
    o.image_file = options.image_file;
    o.profile = options.verified ? fota::verified_profile() : fota::default_profile();
    o.profile.shadow_transport = fota::ShadowTransport::Https;
    o.seed = options.seed;
    impl_->runtime = std::make_unique<DeviceRuntime>(io, std::move(o));
}

HostDevice::~HostDevice() = default;

void HostDevice::start() {
    impl_->runtime->start();
}

bool HostDevice::stop(std::chrono::milliseconds timeout) {
    auto done = std::make_shared<std::promise<void>>();
    auto future = done->get_future();
    DeviceRuntime* raw = impl_->runtime.get();
    raw->post([raw, done] {
        raw->stop();
        done->set_value();
    });
    return future.wait_for(timeout) == std::future_status::ready;
}

std::optional<HostDeviceStatus> HostDevice::status(std::chrono::milliseconds timeout) const {
    auto promise = std::make_shared<std::promise<HostDeviceStatus>>();
    auto future = promise->get_future();
    DeviceRuntime* raw = impl_->runtime.get();
    raw->post([raw, promise] {
        const DeviceStatus s = raw->status();
        HostDeviceStatus out;
        out.running_version = s.running_version;
        out.confirmed = s.confirmed;
        out.boots = s.boots;
        out.download_bytes = s.download_bytes;
        out.http_requests = s.http_requests;
        promise->set_value(std::move(out));
    });
    if (future.wait_for(timeout) != std::future_status::ready) {
        return std::nullopt;
    }
    return future.get();
}

std::string shadow_version_key(bool verified) {
    return std::string(verified ? fota::verified_profile().shadow_version_key
                                : fota::default_profile().shadow_version_key);
}

} // namespace fota::sim::runner
