// fota::Agent at boot and on the MQTT connection: loading the persisted state, judging a reboot
// into an update, the boot-time shadow report (HTTPS or MQTT), connect, the subscriptions for the
// phase, and the $next/get and <job>/get requests.
#include "fota/agent.hpp"
#include "fota/text.hpp"

#include "fota/image_version.hpp"

#include <algorithm>

namespace fota {
namespace {

constexpr std::uint32_t kMaxShadowAttempts = 3;
constexpr std::uint8_t kMaxApplyAttempts = 2;

bool valid_geometry(const FlashGeometry& g) {
    const auto power_of_two = [](std::uint32_t v) { return v != 0 && (v & (v - 1)) == 0; };
    return g.slot_size > 0 && power_of_two(g.write_block_size) &&
           g.write_block_size <= kFlashWriteBufferSize && g.erase_page_size >= g.write_block_size &&
           g.erase_page_size % g.write_block_size == 0;
}

} // namespace

// ---- boot and connection ------------------------------------------------------------------

void Agent::on_boot() {
    if (booted_ || rebooted_) {
        return;
    }
    booted_ = true;
    if (!config_ok_) {
        log(LogLevel::Error, Event::InvalidConfig, "thing_or_url");
        return;
    }
    geometry_ = ports_.flash.geometry();
    if (!valid_geometry(geometry_)) {
        config_ok_ = false;
        log(LogLevel::Error, Event::InvalidConfig, "flash_geometry");
        return;
    }
    std::size_t length = 0;
    const PortStatus loaded = ports_.store.load(record_, length);
    if (loaded == PortStatus::Ok) {
        const StateDecodeStatus decoded = decode_state(
            std::span<const std::uint8_t>(record_.data(), std::min(length, record_.size())),
            state_);
        if (decoded != StateDecodeStatus::Ok) {
            log_number(LogLevel::Warning, Event::StateDiscarded, "status ",
                       static_cast<std::uint32_t>(decoded));
        }
    } else if (loaded != PortStatus::NotFound) {
        log(LogLevel::Warning, Event::StateDiscarded, "load_failed");
    }
    boot_info_ = ports_.boot.boot_info();
    {
        std::array<char, kLogDetailSize> buffer; // written before read: no memset
        TextBuilder detail(buffer);
        append_image_version(detail, boot_info_.running);
        detail.append(boot_info_.confirmed ? " confirmed" : " unconfirmed")
            .append(boot_info_.reverted ? " reverted" : "")
            .append(" phase ")
            .append_uint(static_cast<std::uint8_t>(state_.phase));
        log(LogLevel::Info, Event::Boot, detail.view());
    }
    if (state_.phase == Phase::Rebooting || state_.phase == Phase::Confirming) {
        evaluate_reboot(boot_info_);
        if (rebooted_) {
            return;
        }
    }
    if (state_.phase == Phase::Downloading) {
        // Re-download from the start of the page holding the persisted offset: bytes after it
        // may have been written before a power cut, and NOR flash cannot be written twice.
        const std::uint32_t page = geometry_.erase_page_size;
        received_offset_ = state_.download_offset / page * page;
        erased_end_ = received_offset_;
        write_buffer_start_ = received_offset_;
        write_buffer_fill_ = 0;
        state_.download_offset = received_offset_;
        log_number(LogLevel::Info, Event::DownloadResume, "offset ", received_offset_);
    }
    start_shadow_report();
}

void Agent::evaluate_reboot(const BootInfo& info) {
    const bool target_running = state_.has_target_version ? info.running == state_.target_version
                                                          : !(info.running == state_.from_version);
    std::array<char, kLogDetailSize> buffer; // written before read: no memset
    TextBuilder reason(buffer);
    if (target_running && !info.reverted) {
        log_job(LogLevel::Info, Event::UpdateBooted);
        if (!info.confirmed) {
            state_.phase = Phase::Confirming;
        } else if (profile_.report_success_after_boot) {
            state_.phase = Phase::Succeeding;
        } else {
            state_.reset();
        }
        save_state();
        return;
    }
    if (!info.reverted && state_.apply_attempts < kMaxApplyAttempts) {
        log(LogLevel::Warning, Event::UpgradeNotApplied);
        reboot_into_update();
        return;
    }
    if (info.reverted) {
        reason.append("rolled_back running ");
    } else {
        reason.append("image_not_booted running ");
    }
    append_image_version(reason, info.running);
    if (profile_.report_success_after_boot) {
        state_.phase = Phase::Failing;
        set_failure_reason(reason.view());
        log(LogLevel::Error, Event::UpdateFailed, reason.view());
    } else {
        // SUCCEEDED was already reported (the seed's order); all that is left is the log.
        log(LogLevel::Error, Event::RollbackAfterSuccess, reason.view());
        state_.reset();
    }
    save_state();
}

void Agent::start_shadow_report() {
    if (profile_.shadow_transport != ShadowTransport::Https) {
        after_shadow();
        return;
    }
    if (shadow_base_url_length_ == 0) {
        log(LogLevel::Warning, Event::ShadowReportSkipped, "no_base_url");
        after_shadow();
        return;
    }
    // The URL is built in the flash write buffer, unused until the first download of this boot
    // (the Http port copies what it keeps during start()).
    static_assert(kFlashWriteBufferSize >= kMaxShadowBaseUrlLength + kMaxThingNameLength + 24);
    TextBuilder shadow_url(
        std::span<char>(reinterpret_cast<char*>(write_buffer_.data()), write_buffer_.size()));
    shadow_url.append({shadow_base_url_.data(), shadow_base_url_length_})
        .append("/things/")
        .append(thing())
        .append("/shadow");
    TextBuilder body(payload_);
    if (!shadow_url.ok() || !build_shadow_body(body)) {
        log(LogLevel::Error, Event::ShadowReportSkipped, "too_long");
        after_shadow();
        return;
    }
    HttpRequest request;
    request.id = next_request_id_++;
    request.method = HttpMethod::Post;
    request.url = shadow_url.view();
    request.body = body.view();
    request.content_type = "application/json";
    request_id_ = request.id;
    request_kind_ = RequestKind::Shadow;
    ++stats_.http_requests;
    if (ports_.http.start(request) != PortStatus::Ok) {
        request_kind_ = RequestKind::None;
        shadow_finished(false);
    }
}

bool Agent::build_shadow_body(TextBuilder& out) {
    // Appended as text (a version needs no escaping): less code than a JsonWriter (issue 17).
    out.append("{\"state\":{\"reported\":{\"")
        .append_json_escaped(profile_.shadow_version_key)
        .append("\":\"");
    append_image_version(out, boot_info_.running);
    out.append("\"}}}");
    return out.ok();
}

void Agent::shadow_finished(bool ok) {
    if (ok) {
        log(LogLevel::Info, Event::ShadowReported);
        after_shadow();
        return;
    }
    ++shadow_attempts_;
    if (shadow_attempts_ < kMaxShadowAttempts) {
        const std::uint32_t delay =
            backoff_delay_ms(profile_.download, shadow_attempts_, random_.next());
        log_number(LogLevel::Warning, Event::ShadowRetry, "retry_ms ", delay);
        start_timer(TimerId::ShadowRetry, delay);
        return;
    }
    log(LogLevel::Warning, Event::ShadowReportFailed);
    after_shadow();
}

void Agent::after_shadow() {
    if (!connect_requested_) {
        connect_requested_ = true;
        ports_.mqtt.connect();
    }
    if (state_.phase == Phase::Downloading && !download_active_) {
        start_download();
    }
}

void Agent::publish_shadow_mqtt() {
    TextBuilder body(payload_);
    if (!build_shadow_body(body)) {
        log(LogLevel::Error, Event::ShadowReportSkipped, "too_long");
        return;
    }
    publish_payload(thing_topic(ThingTopic::ShadowUpdate), body.view());
}

void Agent::on_connected(bool session_present) {
    if (!booted_ || rebooted_ || !config_ok_) {
        return;
    }
    connected_ = true;
    log(LogLevel::Info, Event::MqttConnected, session_present ? "session" : "clean");
    if (profile_.shadow_transport == ShadowTransport::Mqtt) {
        publish_shadow_mqtt();
    }
    if (state_.phase == Phase::Confirming) {
        const bool confirmed = ports_.boot.confirm() == PortStatus::Ok;
        log_job(confirmed ? LogLevel::Info : LogLevel::Error,
                confirmed ? Event::ImageConfirmed : Event::ConfirmFailed);
        if (!profile_.report_success_after_boot) {
            state_.reset();
        } else if (confirmed) {
            state_.phase = Phase::Succeeding;
        } else {
            state_.phase = Phase::Failing;
            set_failure_reason("confirm_failed");
        }
        save_state();
    }
    subscribe_for_phase();
    update_in_flight_ = false;
    describe_in_flight_ = false;
    if (update_outstanding()) {
        publish_update();
    } else if (state_.phase == Phase::Idle) {
        publish_next_get();
    } else if (state_.phase == Phase::Downloading) {
        publish_describe();
        start_timer(TimerId::JobCheck, profile_.job_check_interval_ms);
    }
}

void Agent::subscribe_for_phase() {
    if (!job_in_hand() || !profile_.unsubscribe_notify_next_during_job) {
        (void)ports_.mqtt.subscribe(thing_topic(ThingTopic::NotifyNext));
    }
    if (job_in_hand()) {
        subscribe_update_replies(true);
    }
}

void Agent::subscribe_update_replies(bool subscribe) {
    if (!profile_.subscribe_update_replies) {
        return;
    }
    for (const JobTopic which : {JobTopic::UpdateAccepted, JobTopic::UpdateRejected}) {
        const std::string_view topic = job_topic(which);
        (void)(subscribe ? ports_.mqtt.subscribe(topic) : ports_.mqtt.unsubscribe(topic));
    }
}

std::string_view Agent::build_get_payload() {
    std::array<char, kClientTokenLength + 1> token; // written before read: no memset
    TextBuilder(token).append_hex(random_.next(), kClientTokenLength);
    std::string_view payload;
    (void)build_get_request(payload_, profile_.update_format, {token.data(), kClientTokenLength},
                            payload);
    return payload;
}

void Agent::publish_next_get() {
    const std::string_view payload = build_get_payload();
    publish_payload(thing_topic(ThingTopic::NextGet), payload);
}

void Agent::publish_describe() {
    if (!connected_ || !job_in_hand()) {
        return;
    }
    const std::string_view payload = build_get_payload();
    describe_in_flight_ = true;
    publish_payload(job_topic(JobTopic::Get), payload);
}

void Agent::on_disconnected() {
    if (!booted_ || rebooted_) {
        return;
    }
    connected_ = false;
    update_in_flight_ = false;
    describe_in_flight_ = false;
    cancel_timer(TimerId::UpdateResponse);
    cancel_timer(TimerId::JobCheck);
    log(LogLevel::Info, Event::MqttDisconnected);
}

} // namespace fota
