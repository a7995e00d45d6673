// A thin wrapper of DeviceRuntime for the runner. It lives in its own translation unit because
// scenario/scenario.hpp's fota::sim::Profile (the scenario's profile names) and
// device_runtime.hpp's use of fota::Profile (unqualified, inside fota::sim) cannot be included
// together.
#pragma once

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace fota::sim::runner {

struct HostDeviceOptions {
    std::string thing;
    std::string mqtt_host;
    std::uint16_t mqtt_port = 0;
    std::string shadow_base_url;
    std::string flash_file;
    std::string image_file;
    bool verified = false; ///< profile verified, else the default (seed) profile
    std::uint64_t seed = 1;
};

struct HostDeviceStatus {
    std::string running_version;
    bool confirmed = false;
    std::uint32_t boots = 0;
    std::uint64_t download_bytes = 0;
    std::uint64_t http_requests = 0;
};

class HostDevice {
public:
    HostDevice(boost::asio::io_context& io, const HostDeviceOptions& options);
    ~HostDevice();
    HostDevice(const HostDevice&) = delete;
    HostDevice& operator=(const HostDevice&) = delete;

    /// Powers the device on (any thread).
    void start();
    /// Stops it cleanly on its strand and waits up to `timeout`; false when it did not answer.
    bool stop(std::chrono::milliseconds timeout);
    /// A status snapshot taken on its strand; nullopt when it did not answer within timeout.
    std::optional<HostDeviceStatus> status(std::chrono::milliseconds timeout) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// The key under state.reported the profile reports the running version with.
std::string shadow_version_key(bool verified);

} // namespace fota::sim::runner
