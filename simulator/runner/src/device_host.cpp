#include "device_host.hpp"

#include "fota/sim/device_runtime.hpp"

#include <future>

namespace fota::sim::runner {

struct HostDevice::Impl {
    std::unique_ptr<DeviceRuntime> runtime;
    DeviceEventHandler on_event;
};

HostDevice::HostDevice(boost::asio::io_context& io, const HostDeviceOptions& options,
                       DeviceEventHandler on_event)
    : impl_(std::make_unique<Impl>()) {
    DeviceOptions o;
    o.thing_name = options.thing;
    o.mqtt_host = options.mqtt_host;
    o.mqtt_port = options.mqtt_port;
    o.shadow_base_url = options.shadow_base_url;
    o.flash_file = options.flash_file;
    o.flash_geometry = options.flash_geometry;
    o.flash_layout = options.flash_layout;
    o.image_file = options.image_file;
    o.clean_session = options.clean_session;
    o.profile = options.verified ? fota::verified_profile() : fota::default_profile();
    o.profile.shadow_transport = fota::ShadowTransport::Https;
    o.seed = options.seed;
    impl_->runtime = std::make_unique<DeviceRuntime>(io, std::move(o));
    impl_->on_event = std::move(on_event);
    DeviceRuntime* raw = impl_->runtime.get();
    Impl* impl = impl_.get();
    raw->on_event([raw, impl](std::string_view name, std::string_view detail) {
        if (!impl->on_event) {
            return;
        }
        const std::optional<PowerCutRequest> cut = impl->on_event(name, detail);
        if (!cut) {
            return;
        }
        if (cut->after_download_bytes == 0) {
            raw->cut_power(cut->off_for);
        } else {
            raw->cut_power_at_download_byte(cut->after_download_bytes, cut->off_for);
        }
    });
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

void HostDevice::reboot() {
    DeviceRuntime* raw = impl_->runtime.get();
    raw->post([raw] { raw->reboot_cleanly(); });
}

void HostDevice::cut_power(std::chrono::milliseconds off_for) {
    DeviceRuntime* raw = impl_->runtime.get();
    raw->post([raw, off_for] { raw->cut_power(off_for); });
}

void HostDevice::cut_power_during_swap(std::chrono::milliseconds off_for, std::uint64_t seed) {
    DeviceRuntime* raw = impl_->runtime.get();
    raw->post([raw, off_for, seed] { raw->cut_power_during_swap(off_for, seed); });
}

std::string HostDevice::arm_flash_faults(const std::string& plan_line,
                                         std::chrono::milliseconds off_for) {
    auto promise = std::make_shared<std::promise<std::string>>();
    auto future = promise->get_future();
    DeviceRuntime* raw = impl_->runtime.get();
    raw->post([raw, plan_line, off_for, promise] {
        promise->set_value(raw->arm_flash_faults(plan_line, off_for));
    });
    if (future.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
        return "the device did not answer in 10 s";
    }
    return future.get();
}

void HostDevice::drop_mqtt() {
    DeviceRuntime* raw = impl_->runtime.get();
    raw->post([raw] { raw->drop_mqtt(); });
}

void HostDevice::drop_mqtt_at_download_byte(std::uint64_t bytes) {
    DeviceRuntime* raw = impl_->runtime.get();
    raw->post([raw, bytes] { raw->drop_mqtt_at_download_byte(bytes); });
}

void HostDevice::lose_next_message(const std::string& topic_suffix) {
    DeviceRuntime* raw = impl_->runtime.get();
    raw->post([raw, topic_suffix] { raw->lose_next_message(topic_suffix); });
}

void HostDevice::stall_http_for(std::chrono::milliseconds duration) {
    DeviceRuntime* raw = impl_->runtime.get();
    raw->post([raw, duration] { raw->stall_http_for(duration); });
}

void HostDevice::stall_http_at_download_byte(std::uint64_t bytes,
                                             std::chrono::milliseconds duration) {
    DeviceRuntime* raw = impl_->runtime.get();
    raw->post([raw, bytes, duration] { raw->stall_http_at_download_byte(bytes, duration); });
}

void HostDevice::go_offline(std::chrono::milliseconds duration) {
    DeviceRuntime* raw = impl_->runtime.get();
    raw->post([raw, duration] { raw->go_offline(duration); });
}

std::string shadow_version_key(bool verified) {
    return std::string(verified ? fota::verified_profile().shadow_version_key
                                : fota::default_profile().shadow_version_key);
}

} // namespace fota::sim::runner
