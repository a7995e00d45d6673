// DeviceRuntime's public calls (each runs on the Impl behind it), the device's status and the
// event hook. Boot and power live in device_power.cpp, the faults in device_faults.cpp, one boot's
// core and ports in boot_session.cpp and storage_ports.cpp.
#include "device_runtime_impl.hpp"

#include <fota/names.hpp>

#include <spdlog/sinks/stdout_color_sinks.h>

namespace fota::sim {

std::string_view to_string(DeviceState state) {
    switch (state) {
    case DeviceState::Off:
        return "off";
    case DeviceState::Running:
        return "running";
    case DeviceState::Rebooting:
        return "rebooting";
    case DeviceState::Bricked:
        return "bricked";
    }
    return "off";
}

namespace {

std::shared_ptr<spdlog::logger> device_logger() {
    static const std::shared_ptr<spdlog::logger> logger = [] {
        if (auto existing = spdlog::get("device")) {
            return existing;
        }
        auto created = spdlog::stderr_color_mt("device");
        return created;
    }();
    return logger;
}

} // namespace

DeviceRuntime::Impl::Impl(std::shared_ptr<DeviceHost> host, DeviceOptions options)
    : host_(std::move(host)), options_(std::move(options)), logger_(device_logger()),
      power_timer_(host_->make_timer()), stall_timer_(host_->make_timer()) {}

DeviceRuntime::Impl::~Impl() {
    shut_down(false);
}

void DeviceRuntime::Impl::start() {
    if (state_ != DeviceState::Off) {
        return;
    }
    if (!device_) {
        if (!open_flash()) {
            return;
        }
    }
    if (!recorder_ && !options_.record_file.empty()) {
        std::string error;
        recorder_ = record::DeviceRecorder::open(
            options_.record_file, options_.thing_name, options_.profile, options_.shadow_base_url,
            [host = host_.get()] { return host->now(); }, error);
        if (!recorder_) {
            fail(error);
            return;
        }
    }
    boot();
}

void DeviceRuntime::Impl::stop() {
    power_timer_->cancel();
    stall_timer_->cancel();
    power_off_ = false;
    shut_down(true);
    state_ = DeviceState::Off;
}

void DeviceRuntime::Impl::shut_down(bool clean) {
    if (session_) {
        counters_before_ += session_->counters(); // before the clients go
        session_->shut_down(clean);
        session_.reset();
    }
}

DeviceStatus DeviceRuntime::Impl::status() const {
    DeviceStatus status = last_status_;
    status.state = state_;
    status.boots = boots_;
    status.power_cuts = power_cuts_;
    status.reverts = reverts_;
    status.images_rejected = images_rejected_;
    status.last_error = last_error_;
    if (device_) {
        status.flash_operations = device_->flash().counters().operations - operations_before_;
    }
    BootCounters counters = counters_before_;
    if (session_) {
        if (const Agent* agent = session_->agent()) {
            status.phase = std::string(phase_text(agent->phase()));
            status.job_id = std::string(agent->job_id());
        }
        status.mqtt_connected = session_->mqtt_connected();
        status.confirmed = session_->image_confirmed();
        counters += session_->counters();
    }
    status.download_bytes = counters.download_bytes;
    status.http_requests = counters.http_requests;
    status.http_connections = counters.http_connections;
    status.jobs_taken = counters.jobs_taken;
    status.download_retries = counters.download_retries;
    status.mqtt_connections = counters.mqtt_connections;
    status.messages_lost = counters.messages_lost;
    return status;
}

void DeviceRuntime::Impl::emit(std::string_view name, std::string_view detail) {
    if (event_handler_) {
        event_handler_(name, detail);
    }
}

// ---- DeviceRuntime -------------------------------------------------------------------------

DeviceRuntime::DeviceRuntime(std::shared_ptr<DeviceHost> host, DeviceOptions options)
    : impl_(std::make_shared<Impl>(std::move(host), std::move(options))) {}

DeviceRuntime::DeviceRuntime(AsioContext& io, DeviceOptions options)
    : DeviceRuntime(make_asio_device_host(io, options.mqtt_client), std::move(options)) {}

DeviceRuntime::~DeviceRuntime() {
    impl_->shut_down(false);
}

void DeviceRuntime::start() {
    // Weak: the host's queue must not keep the device alive (on the sim host the queue belongs
    // to the device, and a run that ended before the start ran leaked both).
    impl_->host_->post([weak = std::weak_ptr<Impl>(impl_)] {
        if (auto impl = weak.lock()) {
            impl->start();
        }
    });
}
void DeviceRuntime::stop() {
    impl_->stop();
}
void DeviceRuntime::post(std::function<void()> work) {
    impl_->host_->post(std::move(work));
}
DeviceStatus DeviceRuntime::status() const {
    return impl_->status();
}
std::string DeviceRuntime::read_flash(std::uint64_t offset, std::size_t length) const {
    return impl_->read_flash(offset, length);
}
std::string DeviceRuntime::Impl::read_flash(std::uint64_t offset, std::size_t length) const {
    if (!device_) {
        return {};
    }
    const std::uint32_t size = device_->flash().geometry().size;
    if (offset > size || length > size - offset) {
        return {};
    }
    std::string bytes(length, '\0');
    (void)device_->flash().peek(static_cast<std::uint32_t>(offset),
                                std::span(reinterpret_cast<std::uint8_t*>(bytes.data()), length));
    return bytes;
}
const DeviceOptions& DeviceRuntime::options() const {
    return impl_->options_;
}
void DeviceRuntime::on_boot(std::function<void(const DeviceStatus&)> handler) {
    impl_->boot_handler_ = std::move(handler);
}
void DeviceRuntime::on_event(EventHandler handler) {
    impl_->event_handler_ = std::move(handler);
}
void DeviceRuntime::reboot() {
    impl_->reboot(false);
}
void DeviceRuntime::reboot_cleanly() {
    impl_->reboot(true);
}
void DeviceRuntime::power_cut() {
    impl_->cut_power(std::chrono::milliseconds(0));
}
void DeviceRuntime::power_cut_at_flash_operation(std::uint64_t operation, bool torn,
                                                 std::uint64_t seed) {
    impl_->power_cut_at_flash_operation(operation, torn, seed);
}
void DeviceRuntime::cut_power(std::chrono::milliseconds off_for) {
    impl_->cut_power(off_for);
}
void DeviceRuntime::cut_power_at_download_byte(std::uint64_t bytes,
                                               std::chrono::milliseconds off_for) {
    impl_->cut_power_at_download_byte(bytes, off_for);
}
void DeviceRuntime::cut_power_during_swap(std::chrono::milliseconds off_for, std::uint64_t seed) {
    impl_->cut_power_during_swap(off_for, seed);
}
std::string DeviceRuntime::arm_flash_faults(const std::string& plan_line,
                                            std::chrono::milliseconds off_for) {
    return impl_->arm_flash_faults(plan_line, off_for);
}
void DeviceRuntime::drop_mqtt() {
    impl_->drop_mqtt();
}
void DeviceRuntime::drop_mqtt_at_download_byte(std::uint64_t bytes) {
    impl_->drop_mqtt_at_download_byte(bytes);
}
void DeviceRuntime::lose_next_message(std::string topic_suffix) {
    impl_->lose_next_message(std::move(topic_suffix));
}
void DeviceRuntime::stall_http() {
    impl_->stall_http(true);
}
void DeviceRuntime::unstall_http() {
    impl_->stall_http(false);
}
void DeviceRuntime::stall_http_for(std::chrono::milliseconds duration) {
    impl_->stall_http_for(duration);
}
void DeviceRuntime::stall_http_at_download_byte(std::uint64_t bytes,
                                                std::chrono::milliseconds duration) {
    impl_->stall_http_at_download_byte(bytes, duration);
}
void DeviceRuntime::go_offline(std::chrono::milliseconds duration) {
    impl_->go_offline(duration);
}

} // namespace fota::sim
