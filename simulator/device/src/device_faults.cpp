// Device-side faults: the DeviceRuntime calls that drop or stall the network (MQTT now or at a
// download byte, a lost message, HTTP stalls, offline), arm flash fault plans and power cuts (at a
// flash operation, a download byte, during the swap), and the triggers a boot's session carries
// for them. The device holds what outlives a boot (offline, a stall, a swap cut, how long a cut
// keeps the power off); the session holds the download-byte triggers of its boot.
#include "device_runtime_impl.hpp"

namespace fota::sim {

namespace {

// True once: when the download passes `mark`, which is then cleared.
bool passes(std::optional<std::uint64_t>& mark, std::uint64_t before, std::uint64_t now) {
    if (!mark || before >= *mark || now < *mark) {
        return false;
    }
    mark.reset();
    return true;
}

} // namespace

// ---- on the device ---------------------------------------------------------------------------

void DeviceRuntime::Impl::cut_power_at_download_byte(std::uint64_t bytes,
                                                     std::chrono::milliseconds off_for) {
    download_cut_off_for_ = off_for;
    if (session_) {
        session_->set_cut_at_download_byte(session_->download_bytes() + bytes);
    }
}

void DeviceRuntime::Impl::cut_power_during_swap(std::chrono::milliseconds off_for,
                                                std::uint64_t seed) {
    swap_cut_ = SwapCut{off_for, seed};
}

void DeviceRuntime::Impl::power_cut_at_flash_operation(std::uint64_t operation, bool torn,
                                                       std::uint64_t seed) {
    if (!device_) {
        return;
    }
    device_->flash().arm(torn ? flash::FaultPlan::cut_torn(operation, seed)
                              : flash::FaultPlan::cut_before(operation));
    logger_->info("[{}] fault armed: {}", options_.thing_name, device_->flash().plan().to_string());
}

std::string DeviceRuntime::Impl::arm_flash_faults(const std::string& line,
                                                  std::chrono::milliseconds off_for) {
    auto plan = flash::FaultPlan::parse(line);
    if (!plan) {
        return "flash fault plan '" + line + "': " + plan.error().message;
    }
    if (!device_) {
        // Not powered on yet (a fault step at the very start, on a stack whose devices start
        // later): the plan counts from the first power-on, as first_power_on_faults do.
        options_.first_power_on_faults = plan.value().to_string();
        options_.first_power_on_off_for = off_for;
        return {};
    }
    flash_off_for_ = off_for;
    device_->flash().arm(plan.value());
    logger_->info("[{}] fault armed: {}", options_.thing_name, device_->flash().plan().to_string());
    return {};
}

void DeviceRuntime::Impl::drop_mqtt() {
    if (session_ && session_->mqtt_client()) {
        logger_->warn("[{}] fault: dropping MQTT now", options_.thing_name);
        session_->mqtt_client()->drop_connection();
    }
}

void DeviceRuntime::Impl::drop_mqtt_at_download_byte(std::uint64_t bytes) {
    if (session_) {
        session_->set_drop_at_download_byte(session_->download_bytes() + bytes);
    }
}

void DeviceRuntime::Impl::lose_next_message(std::string topic_suffix) {
    if (session_ && session_->mqtt_client()) {
        session_->mqtt_client()->lose_next_message(std::move(topic_suffix));
    }
}

void DeviceRuntime::Impl::stall_http(bool stalled) {
    stalled_ = stalled;
    if (session_) {
        session_->set_stalled(stalled);
    }
}

void DeviceRuntime::Impl::stall_http_for(std::chrono::milliseconds duration) {
    stall_http(true);
    std::weak_ptr<Impl> weak = weak_from_this();
    stall_timer_->start(duration, [weak] {
        if (auto self = weak.lock()) {
            self->stall_http(false);
        }
    });
}

void DeviceRuntime::Impl::stall_http_at_download_byte(std::uint64_t bytes,
                                                      std::chrono::milliseconds duration) {
    download_stall_for_ = duration;
    if (session_) {
        session_->set_stall_at_download_byte(session_->download_bytes() + bytes);
    }
}

void DeviceRuntime::Impl::go_offline(std::chrono::milliseconds duration) {
    offline_until_ = host_->now() + duration;
    logger_->warn("[{}] fault: offline for {} ms", options_.thing_name, duration.count());
    if (session_) {
        session_->set_offline_until(offline_until_);
    }
    stall_http_for(duration);
}

// ---- on one boot's session -------------------------------------------------------------------

void BootSession::set_drop_at_download_byte(std::optional<std::uint64_t> bytes) {
    drop_at_download_byte_ = bytes;
}

void BootSession::set_cut_at_download_byte(std::optional<std::uint64_t> bytes) {
    cut_at_download_byte_ = bytes;
}

void BootSession::set_stall_at_download_byte(std::optional<std::uint64_t> bytes) {
    stall_at_download_byte_ = bytes;
}

void BootSession::set_stalled(bool stalled) {
    stalled_ = stalled;
    for (const auto& [agent_id, client_id] : transfers_) {
        if (stalled) {
            http_client_->pause(client_id);
        } else {
            http_client_->resume(client_id);
        }
    }
}

void BootSession::set_offline_until(HostTime until) {
    offline_until_ = until;
    const HostTime now = device_host_->now();
    if (mqtt_client_ && until > now) {
        mqtt_client_->go_offline(
            std::chrono::duration_cast<std::chrono::milliseconds>(until - now));
    }
}

void BootSession::lose_power() {
    if (!dead_ && boot_recorder_) {
        host_.recorder->note("power_cut");
    }
    dead_ = true;
    for (auto& timer : timers_) {
        timer->cancel();
    }
}

void BootSession::count_download_bytes(std::size_t bytes) {
    const std::uint64_t before = download_bytes_;
    download_bytes_ += bytes;
    if (passes(drop_at_download_byte_, before, download_bytes_)) {
        logger_->warn("[{}] fault: dropping MQTT at download byte {}", options_.thing_name,
                      download_bytes_);
        mqtt_client_->drop_connection();
    }
    if (passes(stall_at_download_byte_, before, download_bytes_)) {
        logger_->warn("[{}] fault: HTTP stalls at download byte {}", options_.thing_name,
                      download_bytes_);
        host_.download_stall();
    }
    if (passes(cut_at_download_byte_, before, download_bytes_)) {
        logger_->warn("[{}] fault: power cut at download byte {}", options_.thing_name,
                      download_bytes_);
        lose_power();
        host_.download_cut();
    }
}

} // namespace fota::sim
