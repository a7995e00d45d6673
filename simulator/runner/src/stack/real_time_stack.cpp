// The real-time stacks' shared part: the io_context and its threads, the steady clock, and the
// devices (runtime_device.hpp) on that io_context.
#include "real_time_stack.hpp"

#include "fota/cloud/tls/tls_folder.hpp"
#include "fota/sim/device_runtime.hpp"

#include <algorithm>
#include <thread>

namespace fota::sim::stacks {

using std::chrono::milliseconds;

RealTimeStack::RealTimeStack(const StackOptions& options) : options_(options) {}

RealTimeStack::~RealTimeStack() {
    stop_threads();
}

std::unique_ptr<StackDevice> RealTimeStack::make_device(const StackDevice::Options& options,
                                                        StackDevice::EventHandler on_event) {
    const std::string flash_file =
        options.in_memory_flash ? std::string() : work_dir_ + "/" + options.thing + ".flash";
    DeviceOptions device = device_options(options, device_endpoints(), flash_file);
    device.mqtt_client = options_.mqtt_client;
    add_credentials(device);
    auto runtime = std::make_unique<DeviceRuntime>(io_, std::move(device));
    auto slot = make_device_slot(std::move(runtime), std::move(on_event), flash_file);
    devices_.push_back(slot);
    return make_runtime_device(std::move(slot), DeviceAccess::posted);
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
        make_runtime_device(slot, DeviceAccess::posted)->stop();
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
        end_device(*slot);
    }
    devices_.clear();
}

void RealTimeStack::add_folder_credentials(cloud::tls::TlsFolder& folder, DeviceOptions& device,
                                           bool mqtt_tls) {
    try {
        const cloud::tls::ThingCertificateFiles files = folder.thing(device.thing_name);
        device.cert_file = files.certificate;
        device.key_file = files.private_key;
    } catch (const std::exception& e) {
        throw StackError("no certificate for thing " + device.thing_name + ": " + e.what());
    }
    device.mqtt_tls = mqtt_tls;
    device.ca_file = folder.ca_file();
}

} // namespace fota::sim::stacks
