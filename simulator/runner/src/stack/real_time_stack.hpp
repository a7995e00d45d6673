// What the embedded and url stacks share: the devices are DeviceRuntimes (Paho MQTT, libcurl,
// Asio timers, a fake flash in a file) on one io_context run by StackOptions::threads threads,
// and the clock is the steady clock (waiting sleeps).
#pragma once

#include "runtime_device.hpp"

#include "fota/sim/stack.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace fota::cloud::tls {
class TlsFolder;
} // namespace fota::cloud::tls

namespace fota::sim::stacks {

class RealTimeStack : public Stack {
public:
    ~RealTimeStack() override;

    /// A DeviceRuntime on this stack's io_context; its flash is <work_dir>/<thing>.flash.
    std::unique_ptr<StackDevice> make_device(const StackDevice::Options& options,
                                             StackDevice::EventHandler on_event) override;

    RunTime now() const override;
    /// Sleeps (in slices, to notice an interruption).
    void wait_until(RunTime until) override;

protected:
    explicit RealTimeStack(const StackOptions& options);

    /// Where the devices find the broker and the shadow service.
    virtual DeviceEndpoints device_endpoints() const = 0;
    /// Gives a device its TLS credentials before it is made (the embedded stack over TLS: its
    /// thing's certificate); the default gives none.
    virtual void add_credentials(DeviceOptions& /*device*/) {}
    /// add_credentials from a TLS folder: the thing's certificate (made when missing) and the
    /// CA; MQTT over TLS when mqtt_tls. Throws StackError when the certificate cannot be made.
    static void add_folder_credentials(cloud::tls::TlsFolder& folder, DeviceOptions& device,
                                       bool mqtt_tls);

    boost::asio::io_context& io() { return io_; }
    const StackOptions& options() const { return options_; }
    const std::string& work_dir() const { return work_dir_; }
    void set_work_dir(const std::string& dir) { work_dir_ = dir; }

    /// Starts the threads that run the io_context (devices and whatever the stack runs on it).
    void start_threads();
    /// Stops the started devices on their strands (up to 10 s each).
    void stop_devices();
    /// Stops the io_context, joins its threads, then ends the devices (their runtimes go while
    /// nothing runs them). Idempotent.
    void stop_threads();

private:
    StackOptions options_;
    std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
    std::string work_dir_;
    boost::asio::io_context io_;
    std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
    std::vector<std::thread> threads_;
    std::vector<std::shared_ptr<DeviceSlot>> devices_;
};

} // namespace fota::sim::stacks
