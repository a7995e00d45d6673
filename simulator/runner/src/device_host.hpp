// A thin wrapper of DeviceRuntime for the runner. It lives in its own translation unit because
// scenario/scenario.hpp's fota::sim::Profile (the scenario's profile names) and
// device_runtime.hpp's use of fota::Profile (unqualified, inside fota::sim) cannot be included
// together.
#pragma once

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace fota::sim::runner {

struct HostDeviceOptions {
    std::string thing;
    std::string mqtt_host;
    std::uint16_t mqtt_port = 0;
    std::string shadow_base_url;
    std::string flash_file;
    std::string flash_geometry; ///< flash::Geometry's line; empty: the nRF9160's
    std::string flash_layout;   ///< flash::PartitionTable's layout; empty: the nRF9160's
    std::string image_file;
    bool verified = false; ///< profile verified, else the default (seed) profile
    bool clean_session = true;
    std::uint64_t seed = 1;
};

struct HostDeviceStatus {
    std::string running_version;
    bool confirmed = false;
    std::uint32_t boots = 0;
    std::uint64_t download_bytes = 0;
    std::uint64_t http_requests = 0;
};

/// What an event handler asks of the device: cut the power now, or once the download that just
/// started has received after_download_bytes more bytes; power returns after off_for.
struct PowerCutRequest {
    std::uint64_t after_download_bytes = 0; ///< 0: now
    std::chrono::milliseconds off_for{0};
};

/// Called on the device's strand for every event of the core and of the runtime (see
/// DeviceRuntime::on_event), before the device goes on.
using DeviceEventHandler =
    std::function<std::optional<PowerCutRequest>(std::string_view name, std::string_view detail)>;

class HostDevice {
public:
    HostDevice(boost::asio::io_context& io, const HostDeviceOptions& options,
               DeviceEventHandler on_event);
    ~HostDevice();
    HostDevice(const HostDevice&) = delete;
    HostDevice& operator=(const HostDevice&) = delete;

    /// Powers the device on (any thread).
    void start();
    /// Stops it cleanly on its strand and waits up to `timeout`; false when it did not answer.
    bool stop(std::chrono::milliseconds timeout);
    /// A status snapshot taken on its strand; nullopt when it did not answer within timeout.
    std::optional<HostDeviceStatus> status(std::chrono::milliseconds timeout) const;

    // ---- faults: each is posted to the device's strand (any thread) ----
    /// A clean reboot requested from outside: the core shuts down, the device boots again.
    void reboot();
    void cut_power(std::chrono::milliseconds off_for);
    void cut_power_during_swap(std::chrono::milliseconds off_for, std::uint64_t seed);
    /// Arms a fake-flash fault plan (flash::FaultPlan's one-line form); waits for the device and
    /// returns an error message, or empty.
    std::string arm_flash_faults(const std::string& plan_line, std::chrono::milliseconds off_for);
    void drop_mqtt();
    void drop_mqtt_at_download_byte(std::uint64_t bytes);
    void lose_next_message(const std::string& topic_suffix);
    /// HTTP transfers stop delivering for `duration` (now, or once the download has received
    /// `bytes` more bytes), then go on.
    void stall_http_for(std::chrono::milliseconds duration);
    void stall_http_at_download_byte(std::uint64_t bytes, std::chrono::milliseconds duration);
    /// No network for `duration` (DeviceRuntime::go_offline).
    void go_offline(std::chrono::milliseconds duration);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// The key under state.reported the profile reports the running version with.
std::string shadow_version_key(bool verified);

} // namespace fota::sim::runner
