// The state of one simulated device behind DeviceRuntime: its flash, its current boot (a
// BootSession), its counters and the faults armed on it. Private to the device runtime, and
// defined by responsibility: device_runtime.cpp (the public calls, status and the event hook),
// device_power.cpp (boot, reboot, power cut and power return) and device_faults.cpp (the
// network and flash faults).
#pragma once

#include "boot_session.hpp"

#include "fota/sim/device_runtime.hpp"

#include <fota/flash/device.hpp>

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace fota::sim {

class DeviceRuntime::Impl : public std::enable_shared_from_this<DeviceRuntime::Impl> {
public:
    Impl(std::shared_ptr<DeviceHost> host, DeviceOptions options);
    ~Impl();
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;

    void start();
    void stop();
    // Drops the current boot (clean: MQTT DISCONNECT first), keeping its counters.
    void shut_down(bool clean);
    DeviceStatus status() const;
    std::string read_flash(std::uint64_t offset, std::size_t length) const;
    // The event hook: hands one event to the handler, synchronously.
    void emit(std::string_view name, std::string_view detail);

    // ---- boot and power (device_power.cpp) ----
    void reboot(bool clean);
    // The power goes now (safe inside a core callback: the session stops at once) and comes
    // back after off_for; the session is dropped by work posted to the host.
    void cut_power(std::chrono::milliseconds off_for);

    // ---- faults (device_faults.cpp) ----
    void cut_power_at_download_byte(std::uint64_t bytes, std::chrono::milliseconds off_for);
    void cut_power_during_swap(std::chrono::milliseconds off_for, std::uint64_t seed);
    void power_cut_at_flash_operation(std::uint64_t operation, bool torn, std::uint64_t seed);
    std::string arm_flash_faults(const std::string& line, std::chrono::milliseconds off_for);
    void drop_mqtt();
    void drop_mqtt_at_download_byte(std::uint64_t bytes);
    void lose_next_message(std::string topic_suffix);
    void stall_http(bool stalled);
    void stall_http_for(std::chrono::milliseconds duration);
    void stall_http_at_download_byte(std::uint64_t bytes, std::chrono::milliseconds duration);
    void go_offline(std::chrono::milliseconds duration);

    std::shared_ptr<DeviceHost> host_;
    DeviceOptions options_;
    std::function<void(const DeviceStatus&)> boot_handler_;
    DeviceRuntime::EventHandler event_handler_;

private:
    // ---- boot and power (device_power.cpp) ----
    bool open_flash();
    void fail(const std::string& message);
    // Puts the initial image into the primary slot of a flash that boots nothing.
    bool install_initial_image();
    void power_on_after(std::chrono::milliseconds off_for);
    void boot();
    // At the first power-on, once the initial image is in place: where the operation count
    // starts, and the options' first_power_on_faults.
    void begin_counting();
    // The boot model over the flash, powered on again after cuts during a swap. Empty when a
    // cut during the swap keeps the power off for a while.
    std::optional<flash::BootResult> run_boot_loader();
    // An image booted: build the core and its session from what the flash and the store hold.
    void run_image(const flash::BootResult& result);
    BootSession::Host session_host();
    void notify_boot();

    std::shared_ptr<spdlog::logger> logger_;
    std::unique_ptr<record::DeviceRecorder> recorder_; // with options_.record_file
    std::unique_ptr<flash::Device> device_;
    std::shared_ptr<BootSession> session_;
    DeviceState state_ = DeviceState::Off;
    DeviceStatus last_status_;
    std::string last_error_;
    std::uint32_t boots_ = 0;
    std::uint32_t power_cuts_ = 0;
    std::uint32_t reverts_ = 0;
    std::uint32_t images_rejected_ = 0;
    BootCounters counters_before_; // of the boots before this one
    bool installed_ = false;
    // flash operations before the first power-on's count began (DeviceStatus::flash_operations)
    std::uint64_t operations_before_ = 0;
    bool power_off_ = false; // between a cut and the power-on after off_for
    std::unique_ptr<HostTimer> power_timer_;

    // Faults armed across boots.
    struct SwapCut {
        std::chrono::milliseconds off_for{0};
        std::uint64_t seed = 0;
    };
    std::optional<SwapCut> swap_cut_;
    bool stalled_ = false;
    std::chrono::milliseconds flash_off_for_{0};
    std::chrono::milliseconds download_cut_off_for_{0};
    std::chrono::milliseconds download_stall_for_{0};
    HostTime offline_until_{};               // on the host's clock
    std::unique_ptr<HostTimer> stall_timer_; // ends stall_http_for and go_offline
};

} // namespace fota::sim
