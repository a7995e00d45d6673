// The StackDevice over a DeviceRuntime (runtime_device.hpp). The runner's only use of
// device_runtime.hpp: the scenario's ProfileName and the core's fota::Profile no longer clash, so
// it needs no translation unit of its own.
#include "runtime_device.hpp"

#include "fota/sim/device_runtime.hpp"

#include <fstream>
#include <future>

namespace fota::sim::stacks {

using std::chrono::milliseconds;

namespace {

/// How long the runner waits for a device to answer (stop, status, arming a fault).
constexpr std::chrono::seconds kDeviceAnswerTimeout{10};

StackDevice::Status stack_status(const DeviceStatus& s) {
    StackDevice::Status out;
    out.running_version = s.running_version;
    out.confirmed = s.confirmed;
    out.boots = s.boots;
    out.download_bytes = s.download_bytes;
    out.http_requests = s.http_requests;
    out.state = std::string(to_string(s.state));
    out.flash_operations = s.flash_operations;
    out.reverts = s.reverts;
    out.images_rejected = s.images_rejected;
    return out;
}

class RuntimeDevice final : public StackDevice {
public:
    RuntimeDevice(std::shared_ptr<DeviceSlot> slot, DeviceAccess access)
        : slot_(std::move(slot)), access_(access) {}

    void start() override {
        if (slot_->runtime) {
            slot_->runtime->start();
            slot_->started = true;
        }
    }

    bool stop() override {
        if (!slot_->runtime || !slot_->started) {
            return true;
        }
        slot_->started = false;
        return ask<bool>([](DeviceRuntime& device) {
                   device.stop();
                   return true;
               })
            .value_or(false);
    }

    std::optional<Status> status() const override {
        return ask<Status>([](DeviceRuntime& device) { return stack_status(device.status()); });
    }

    std::string read_flash(std::uint64_t offset, std::size_t length) const override {
        if (slot_->flash_file.empty()) {
            return ask<std::string>([offset, length](DeviceRuntime& device) {
                       return device.read_flash(offset, length);
                   })
                .value_or(std::string());
        }
        std::ifstream in(slot_->flash_file, std::ios::binary);
        std::string bytes(length, '\0');
        in.seekg(static_cast<std::streamoff>(offset));
        in.read(bytes.data(), static_cast<std::streamsize>(length));
        if (!in) {
            return {};
        }
        return bytes;
    }

    void reboot() override {
        post([](DeviceRuntime& device) { device.reboot_cleanly(); });
    }
    void cut_power(milliseconds off_for) override {
        post([off_for](DeviceRuntime& device) { device.cut_power(off_for); });
    }
    void cut_power_during_swap(milliseconds off_for, std::uint64_t seed) override {
        post([off_for, seed](DeviceRuntime& device) {
            device.cut_power_during_swap(off_for, seed);
        });
    }

    std::string arm_flash_faults(const std::string& plan_line, milliseconds off_for) override {
        if (!slot_->runtime) {
            return "the device has stopped";
        }
        return ask<std::string>([plan_line, off_for](DeviceRuntime& device) {
                   return device.arm_flash_faults(plan_line, off_for);
               })
            .value_or("the device did not answer in 10 s");
    }

    void drop_mqtt() override {
        post([](DeviceRuntime& device) { device.drop_mqtt(); });
    }
    void drop_mqtt_at_download_byte(std::uint64_t bytes) override {
        post([bytes](DeviceRuntime& device) { device.drop_mqtt_at_download_byte(bytes); });
    }
    void lose_next_message(const std::string& topic_suffix) override {
        post([topic_suffix](DeviceRuntime& device) { device.lose_next_message(topic_suffix); });
    }
    void stall_http_for(milliseconds duration) override {
        post([duration](DeviceRuntime& device) { device.stall_http_for(duration); });
    }
    void stall_http_at_download_byte(std::uint64_t bytes, milliseconds duration) override {
        post([bytes, duration](DeviceRuntime& device) {
            device.stall_http_at_download_byte(bytes, duration);
        });
    }
    void go_offline(milliseconds duration) override {
        post([duration](DeviceRuntime& device) { device.go_offline(duration); });
    }

private:
    /// Runs action in the device's context; nothing once the stack has ended the device.
    template <typename Action>
    void post(Action action) const {
        DeviceRuntime* raw = slot_->runtime.get();
        if (raw != nullptr) {
            raw->post([raw, action = std::move(action)] { action(*raw); });
        }
    }

    /// Runs action in the device's context and returns its answer; nullopt when the device has
    /// ended or did not answer in kDeviceAnswerTimeout.
    template <typename Answer, typename Action>
    std::optional<Answer> ask(Action action) const {
        DeviceRuntime* raw = slot_->runtime.get();
        if (raw == nullptr) {
            return std::nullopt;
        }
        if (access_ == DeviceAccess::direct) {
            return action(*raw);
        }
        auto promise = std::make_shared<std::promise<Answer>>();
        auto future = promise->get_future();
        raw->post([raw, promise, action = std::move(action)] { promise->set_value(action(*raw)); });
        if (future.wait_for(kDeviceAnswerTimeout) != std::future_status::ready) {
            return std::nullopt;
        }
        return future.get();
    }

    std::shared_ptr<DeviceSlot> slot_;
    DeviceAccess access_;
};

} // namespace

DeviceOptions device_options(const StackDevice::Options& options, const DeviceEndpoints& endpoints,
                             const std::string& flash_file) {
    DeviceOptions o;
    o.thing_name = options.thing;
    o.mqtt_host = endpoints.mqtt_host;
    o.mqtt_port = endpoints.mqtt_port;
    o.shadow_base_url = endpoints.shadow_base_url;
    o.flash_file = flash_file;
    o.flash_geometry = options.flash_geometry;
    o.flash_layout = options.flash_layout;
    o.image_file = options.image_file;
    o.clean_session = options.clean_session;
    o.profile = options.verified ? fota::verified_profile() : fota::default_profile();
    o.profile.shadow_transport = fota::ShadowTransport::Https;
    o.seed = options.seed;
    o.record_file = options.record_file;
    o.first_power_on_faults = options.first_power_on_faults;
    o.first_power_on_off_for = options.first_power_on_off_for;
    return o;
}

std::shared_ptr<DeviceSlot> make_device_slot(std::unique_ptr<DeviceRuntime> runtime,
                                             StackDevice::EventHandler on_event,
                                             std::string flash_file) {
    auto slot = std::make_shared<DeviceSlot>();
    slot->flash_file = std::move(flash_file);
    slot->runtime = std::move(runtime);
    slot->on_event = std::move(on_event);
    DeviceRuntime* raw = slot->runtime.get();
    DeviceSlot* state = slot.get();
    // The runtime goes before the slot does (end_device), so the raw pointers stay valid.
    raw->on_event([raw, state](std::string_view name, std::string_view detail) {
        if (!state->on_event) {
            return;
        }
        const std::optional<StackDevice::PowerCut> cut = state->on_event(name, detail);
        if (!cut) {
            return;
        }
        if (cut->after_download_bytes == 0) {
            raw->cut_power(cut->off_for);
        } else {
            raw->cut_power_at_download_byte(cut->after_download_bytes, cut->off_for);
        }
    });
    return slot;
}

std::unique_ptr<StackDevice> make_runtime_device(std::shared_ptr<DeviceSlot> slot,
                                                 DeviceAccess access) {
    return std::make_unique<RuntimeDevice>(std::move(slot), access);
}

void end_device(DeviceSlot& slot) {
    slot.runtime.reset();
}

} // namespace fota::sim::stacks
