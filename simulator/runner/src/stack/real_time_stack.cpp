// The real-time stacks' shared part: the io_context and its threads, the steady clock, and the
// devices (a StackDevice over DeviceRuntime). The runner's only use of device_runtime.hpp: the
// scenario's ProfileName and the core's fota::Profile no longer clash, so it needs no
// translation unit of its own.
#include "real_time_stack.hpp"

#include "fota/sim/device_runtime.hpp"

#include <algorithm>
#include <fstream>
#include <future>

namespace fota::sim::stacks {

using std::chrono::milliseconds;

namespace {

/// How long the runner waits for a device to answer (stop, status, arming a fault).
constexpr std::chrono::seconds kDeviceAnswerTimeout{10};

} // namespace

/// One device: its runtime until the stack ends it, and whether it was started.
struct DeviceSlot {
    std::unique_ptr<DeviceRuntime> runtime;
    StackDevice::EventHandler on_event;
    std::string flash_file;
    bool started = false;
};

namespace {

class RealTimeDevice final : public StackDevice {
public:
    explicit RealTimeDevice(std::shared_ptr<DeviceSlot> slot) : slot_(std::move(slot)) {}

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
        auto done = std::make_shared<std::promise<void>>();
        auto future = done->get_future();
        post([done](DeviceRuntime& device) {
            device.stop();
            done->set_value();
        });
        return future.wait_for(kDeviceAnswerTimeout) == std::future_status::ready;
    }

    std::optional<Status> status() const override {
        if (!slot_->runtime) {
            return std::nullopt;
        }
        auto promise = std::make_shared<std::promise<Status>>();
        auto future = promise->get_future();
        DeviceRuntime* raw = slot_->runtime.get();
        raw->post([raw, promise] {
            const DeviceStatus s = raw->status();
            Status out;
            out.running_version = s.running_version;
            out.confirmed = s.confirmed;
            out.boots = s.boots;
            out.download_bytes = s.download_bytes;
            out.http_requests = s.http_requests;
            promise->set_value(std::move(out));
        });
        if (future.wait_for(kDeviceAnswerTimeout) != std::future_status::ready) {
            return std::nullopt;
        }
        return future.get();
    }

    std::string read_flash(std::uint64_t offset, std::size_t length) const override {
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
        auto promise = std::make_shared<std::promise<std::string>>();
        auto future = promise->get_future();
        post([plan_line, off_for, promise](DeviceRuntime& device) {
            promise->set_value(device.arm_flash_faults(plan_line, off_for));
        });
        if (future.wait_for(kDeviceAnswerTimeout) != std::future_status::ready) {
            return "the device did not answer in 10 s";
        }
        return future.get();
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
    /// Runs action on the device's strand; nothing once the stack has ended the device.
    template <typename Action>
    void post(Action action) const {
        DeviceRuntime* raw = slot_->runtime.get();
        if (raw != nullptr) {
            raw->post([raw, action = std::move(action)] { action(*raw); });
        }
    }

    std::shared_ptr<DeviceSlot> slot_;
};

} // namespace

RealTimeStack::RealTimeStack(const StackOptions& options) : options_(options) {}

RealTimeStack::~RealTimeStack() {
    stop_threads();
}

std::unique_ptr<StackDevice> RealTimeStack::make_device(const StackDevice::Options& options,
                                                        StackDevice::EventHandler on_event) {
    const DeviceEndpoints endpoints = device_endpoints();
    DeviceOptions o;
    o.thing_name = options.thing;
    o.mqtt_host = endpoints.mqtt_host;
    o.mqtt_port = endpoints.mqtt_port;
    o.shadow_base_url = endpoints.shadow_base_url;
    o.flash_file = work_dir_ + "/" + options.thing + ".flash";
    o.flash_geometry = options.flash_geometry;
    o.flash_layout = options.flash_layout;
    o.image_file = options.image_file;
    o.clean_session = options.clean_session;
    o.profile = options.verified ? fota::verified_profile() : fota::default_profile();
    o.profile.shadow_transport = fota::ShadowTransport::Https;
    o.seed = options.seed;

    auto slot = std::make_shared<DeviceSlot>();
    slot->flash_file = o.flash_file;
    slot->runtime = std::make_unique<DeviceRuntime>(io_, std::move(o));
    slot->on_event = std::move(on_event);
    DeviceRuntime* raw = slot->runtime.get();
    DeviceSlot* state = slot.get();
    // The runtime goes before the slot does (stop_threads), so the raw pointers stay valid.
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
    devices_.push_back(slot);
    return std::make_unique<RealTimeDevice>(std::move(slot));
}

RunTime RealTimeStack::now() const {
    return std::chrono::duration_cast<RunTime>(std::chrono::steady_clock::now() - start_);
}

void RealTimeStack::wait_until(RunTime until) {
    constexpr milliseconds kSlice{100};
    while (true) {
        if (options_.interrupted != nullptr && options_.interrupted->load()) {
            return;
        }
        const RunTime left = until - now();
        if (left <= RunTime::zero()) {
            return;
        }
        std::this_thread::sleep_for(std::min<milliseconds>(left, kSlice));
    }
}

void RealTimeStack::start_threads() {
    work_.emplace(io_.get_executor());
    for (unsigned i = 0; i < std::max(1u, options_.threads); ++i) {
        threads_.emplace_back([this] { io_.run(); });
    }
}

void RealTimeStack::stop_devices() {
    if (threads_.empty()) {
        return; // nothing would answer
    }
    for (const auto& slot : devices_) {
        RealTimeDevice(slot).stop();
    }
}

void RealTimeStack::stop_threads() {
    work_.reset();
    if (!threads_.empty()) {
        io_.stop();
    }
    for (auto& t : threads_) {
        t.join();
    }
    threads_.clear();
    for (const auto& slot : devices_) {
        slot->runtime.reset();
    }
    devices_.clear();
}

} // namespace fota::sim::stacks
