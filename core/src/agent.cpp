#include "fota/agent.hpp"
#include "fota/text.hpp"

#include "fota/image_version.hpp"
#include "fota/job_update.hpp"
#include "fota/sha256.hpp"

#include <algorithm>
#include <cstring>
#include <new>

namespace fota {
namespace {

constexpr std::uint32_t kMaxShadowAttempts = 3;
constexpr std::uint8_t kMaxApplyAttempts = 2;
constexpr std::size_t kLogDetailSize = 192;

bool equals_ignore_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i];
        char y = b[i];
        x = (x >= 'A' && x <= 'Z') ? static_cast<char>(x - 'A' + 'a') : x;
        y = (y >= 'A' && y <= 'Z') ? static_cast<char>(y - 'A' + 'a') : y;
        if (x != y) {
            return false;
        }
    }
    return true;
}

std::string_view http_error_text(HttpError error) {
    switch (error) {
    case HttpError::Timeout:
        return "transport error: timeout";
    case HttpError::ConnectionReset:
        return "transport error: connection reset";
    case HttpError::ConnectFailed:
        return "transport error: connect failed";
    case HttpError::NameResolution:
        return "transport error: name resolution failed";
    case HttpError::Tls:
        return "transport error: TLS failure";
    case HttpError::Other:
        return "transport error";
    }
    return "transport error";
}

bool valid_geometry(const FlashGeometry& g) {
    const auto power_of_two = [](std::uint32_t v) { return v != 0 && (v & (v - 1)) == 0; };
    return g.slot_size > 0 && power_of_two(g.write_block_size) &&
           g.write_block_size <= kFlashWriteBufferSize && g.erase_page_size >= g.write_block_size &&
           g.erase_page_size % g.write_block_size == 0;
}

} // namespace

Agent::Agent(const AgentConfig& config, const Ports& ports)
    : ports_(ports), profile_(config.profile), random_(config.seed) {
    config_ok_ = is_valid_thing_name(config.thing_name) &&
                 config.shadow_base_url.size() <= kMaxShadowBaseUrlLength;
    if (config_ok_) {
        thing_length_ = config.thing_name.size();
        std::copy_n(config.thing_name.data(), thing_length_, thing_.data());
        shadow_base_url_length_ = config.shadow_base_url.size();
        std::copy_n(config.shadow_base_url.data(), shadow_base_url_length_,
                    shadow_base_url_.data());
    }
    if (profile_.download.fragment_size == 0 ||
        profile_.download.fragment_size > kMaxFragmentSize) {
        profile_.download.fragment_size = kMaxFragmentSize;
    }
    if (profile_.download.max_attempts == 0) {
        profile_.download.max_attempts = 1;
    }
}

// ---- helpers ------------------------------------------------------------------------------

void Agent::log(LogLevel level, std::string_view name, std::string_view detail) {
    ports_.log.event(level, name, detail);
}

void Agent::log_number(LogLevel level, std::string_view name, std::string_view text,
                       std::uint64_t number) {
    std::array<char, kLogDetailSize> buffer{};
    TextBuilder detail(buffer);
    detail.append(text).append_uint(number);
    ports_.log.event(level, name, detail.view());
}

JobDocument& Agent::scratch_doc() {
    return *::new (&scratch_.doc) JobDocument();
}

std::span<std::uint8_t> Agent::scratch_record() {
    return *::new (&scratch_.record) std::array<std::uint8_t, kStateRecordSize>();
}

void Agent::save_state() {
    const std::span<std::uint8_t> record = scratch_record();
    const std::size_t length = encode_state(state_, record);
    ++stats_.state_saves;
    if (length == 0 ||
        ports_.store.save(std::span<const std::uint8_t>(record.data(), length)) != PortStatus::Ok) {
        log(LogLevel::Error, "state_save_failed", phase_text(state_.phase));
    }
}

void Agent::new_client_token() {
    TextBuilder token(client_token_);
    token.append_hex(random_.next(), kClientTokenLength);
}

std::string_view Agent::job_topic(JobTopic which) {
    std::string_view view;
    (void)build_job_topic(topic_, thing(), state_.job_id_view(), which, view);
    return view;
}

std::string_view Agent::thing_topic(ThingTopic which) {
    std::string_view view;
    (void)build_thing_topic(topic_, thing(), which, view);
    return view;
}

void Agent::publish_payload(std::string_view topic, std::string_view payload) {
    if (topic.empty() || payload.empty()) {
        log(LogLevel::Error, "message_not_built", topic);
        return;
    }
    if (ports_.mqtt.publish(topic, payload) != PortStatus::Ok) {
        log(LogLevel::Warning, "publish_failed", topic);
    }
}

bool Agent::update_outstanding() const {
    return state_.phase == Phase::Starting || state_.phase == Phase::Applying ||
           state_.phase == Phase::Succeeding || state_.phase == Phase::Failing;
}

// ---- boot and connection ------------------------------------------------------------------

void Agent::on_boot() {
    if (booted_ || rebooted_) {
        return;
    }
    booted_ = true;
    if (!config_ok_) {
        log(LogLevel::Error, "invalid_config", "thing name or shadow URL invalid");
        return;
    }
    geometry_ = ports_.flash.geometry();
    if (!valid_geometry(geometry_)) {
        config_ok_ = false;
        log(LogLevel::Error, "invalid_config", "flash geometry unusable");
        return;
    }
    std::size_t length = 0;
    const std::span<std::uint8_t> record = scratch_record();
    const PortStatus loaded = ports_.store.load(record, length);
    if (loaded == PortStatus::Ok) {
        const StateDecodeStatus decoded = decode_state(
            std::span<const std::uint8_t>(record.data(), std::min(length, record.size())), state_);
        if (decoded != StateDecodeStatus::Ok) {
            log_number(LogLevel::Warning, "state_discarded", "unreadable record, status ",
                       static_cast<std::uint64_t>(decoded));
        }
    } else if (loaded != PortStatus::NotFound) {
        log(LogLevel::Warning, "state_discarded", "store load failed");
    }
    boot_info_ = ports_.boot.boot_info();
    {
        std::array<char, kLogDetailSize> buffer{};
        TextBuilder detail(buffer);
        append_image_version(detail, boot_info_.running);
        detail.append(boot_info_.confirmed ? " confirmed" : " unconfirmed")
            .append(boot_info_.reverted ? " reverted" : "")
            .append(" phase=")
            .append(phase_text(state_.phase));
        log(LogLevel::Info, "boot", detail.view());
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
        log_number(LogLevel::Info, "download_resume", "offset ", received_offset_);
    }
    start_shadow_report();
}

void Agent::evaluate_reboot(const BootInfo& info) {
    const bool target_running = state_.has_target_version ? info.running == state_.target_version
                                                          : !(info.running == state_.from_version);
    std::array<char, kLogDetailSize> buffer{};
    TextBuilder reason(buffer);
    if (target_running && !info.reverted) {
        log(LogLevel::Info, "update_booted", state_.job_id_view());
        if (!info.confirmed) {
            state_.phase = Phase::Confirming;
        } else if (profile_.report_success_after_boot) {
            state_.phase = Phase::Succeeding;
        } else {
            state_ = PersistedState{};
        }
        save_state();
        return;
    }
    if (!info.reverted && state_.apply_attempts < kMaxApplyAttempts) {
        log(LogLevel::Warning, "upgrade_not_applied", "requesting the upgrade again");
        reboot_into_update();
        return;
    }
    if (info.reverted) {
        reason.append("rolled back: new image was not confirmed; running ");
    } else {
        reason.append("new image was not booted (refused by the boot loader?); running ");
    }
    append_image_version(reason, info.running);
    if (profile_.report_success_after_boot) {
        state_.phase = Phase::Failing;
        state_.set_reason(reason.view());
        log(LogLevel::Error, "update_failed", reason.view());
    } else {
        // SUCCEEDED was already reported (the seed's order); all that is left is the log.
        log(LogLevel::Error, "rollback_after_success", reason.view());
        state_ = PersistedState{};
    }
    save_state();
}

void Agent::start_shadow_report() {
    if (profile_.shadow_transport != ShadowTransport::Https) {
        after_shadow();
        return;
    }
    if (shadow_base_url_length_ == 0) {
        log(LogLevel::Warning, "shadow_report_skipped", "no shadow base URL configured");
        after_shadow();
        return;
    }
    TextBuilder url(shadow_url_);
    url.append({shadow_base_url_.data(), shadow_base_url_length_})
        .append("/things/")
        .append(thing())
        .append("/shadow");
    TextBuilder body(payload_);
    if (!url.ok() || !build_shadow_body(body)) {
        log(LogLevel::Error, "shadow_report_skipped", "shadow request does not fit");
        after_shadow();
        return;
    }
    HttpRequest request;
    request.id = next_request_id_++;
    request.method = HttpMethod::Post;
    request.url = url.view();
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
    std::array<char, 48> version_buffer{};
    TextBuilder version(version_buffer);
    append_image_version(version, boot_info_.running);
    JsonWriter json(out);
    json.begin_object().key("state").begin_object().key("reported").begin_object();
    json.key(profile_.shadow_version_key).string(version.view());
    json.end_object().end_object().end_object();
    return json.ok();
}

void Agent::shadow_finished(bool ok) {
    if (ok) {
        log(LogLevel::Info, "shadow_reported");
        after_shadow();
        return;
    }
    ++shadow_attempts_;
    if (shadow_attempts_ < kMaxShadowAttempts) {
        const std::uint32_t delay =
            backoff_delay_ms(profile_.download, shadow_attempts_, random_.next());
        log_number(LogLevel::Warning, "shadow_retry", "retry in ms ", delay);
        ports_.timers.start(TimerId::ShadowRetry, delay);
        return;
    }
    log(LogLevel::Warning, "shadow_report_failed", "connecting without it");
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
        log(LogLevel::Error, "shadow_report_skipped", "shadow payload does not fit");
        return;
    }
    publish_payload(thing_topic(ThingTopic::ShadowUpdate), body.view());
}

void Agent::on_connected(bool session_present) {
    if (!booted_ || rebooted_ || !config_ok_) {
        return;
    }
    connected_ = true;
    log(LogLevel::Info, "mqtt_connected", session_present ? "session present" : "clean session");
    if (profile_.shadow_transport == ShadowTransport::Mqtt) {
        publish_shadow_mqtt();
    }
    if (state_.phase == Phase::Confirming) {
        if (ports_.boot.confirm() != PortStatus::Ok) {
            log(LogLevel::Error, "confirm_failed", state_.job_id_view());
            if (profile_.report_success_after_boot) {
                state_.phase = Phase::Failing;
                state_.set_reason("could not confirm the new image");
                save_state();
            } else {
                state_ = PersistedState{};
                save_state();
            }
        } else {
            log(LogLevel::Info, "image_confirmed", state_.job_id_view());
            if (profile_.report_success_after_boot) {
                state_.phase = Phase::Succeeding;
            } else {
                state_ = PersistedState{};
            }
            save_state();
        }
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
        ports_.timers.start(TimerId::JobCheck, profile_.job_check_interval_ms);
    }
}

void Agent::subscribe_for_phase() {
    if (!job_in_hand() || !profile_.unsubscribe_notify_next_during_job) {
        (void)ports_.mqtt.subscribe(thing_topic(ThingTopic::NotifyNext));
    }
    if (job_in_hand() && profile_.subscribe_update_replies) {
        (void)ports_.mqtt.subscribe(job_topic(JobTopic::UpdateAccepted));
        (void)ports_.mqtt.subscribe(job_topic(JobTopic::UpdateRejected));
    }
}

void Agent::publish_next_get() {
    std::array<char, kClientTokenLength + 1> token{};
    TextBuilder(token).append_hex(random_.next(), kClientTokenLength);
    std::string_view payload;
    (void)build_get_request(payload_, profile_.update_format, {token.data(), kClientTokenLength},
                            payload);
    publish_payload(thing_topic(ThingTopic::NextGet), payload);
}

void Agent::publish_describe() {
    if (!connected_ || !job_in_hand()) {
        return;
    }
    std::array<char, kClientTokenLength + 1> token{};
    TextBuilder(token).append_hex(random_.next(), kClientTokenLength);
    std::string_view payload;
    (void)build_get_request(payload_, profile_.update_format, {token.data(), kClientTokenLength},
                            payload);
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
    ports_.timers.cancel(TimerId::UpdateResponse);
    ports_.timers.cancel(TimerId::JobCheck);
    log(LogLevel::Info, "mqtt_disconnected");
}

// ---- jobs ---------------------------------------------------------------------------------

void Agent::on_message(std::string_view topic, std::string_view payload) {
    if (!booted_ || rebooted_ || !config_ok_) {
        return;
    }
    const JobsTopic parsed = parse_jobs_topic(topic, thing());
    switch (parsed.kind) {
    case JobsTopicKind::NotifyNext:
        handle_job_message(payload);
        return;
    case JobsTopicKind::DescribeReply:
        if (parsed.job_id == "$next") {
            if (parsed.accepted) {
                handle_job_message(payload);
            } else {
                log(LogLevel::Warning, "next_job_query_rejected", slice(payload, 0, 120));
            }
        } else if (job_in_hand() && parsed.job_id == state_.job_id_view()) {
            handle_describe_reply(parsed.accepted, payload);
        }
        return;
    case JobsTopicKind::UpdateReply:
        if (job_in_hand() && parsed.job_id == state_.job_id_view()) {
            handle_update_reply(parsed.accepted, payload);
        } else {
            log(LogLevel::Debug, "stale_update_reply", parsed.job_id);
        }
        return;
    default:
        log(LogLevel::Debug, "message_ignored", topic);
        return;
    }
}

void Agent::handle_job_message(std::string_view payload) {
    JobDocumentOptions options;
    options.required_operation = profile_.required_operation;
    options.max_image_size = geometry_.slot_size;
    JobDocument& doc = scratch_doc();
    const JobParseResult result = parse_job_execution(payload, options, doc);
    if (result == JobParseResult::InvalidEnvelope) {
        log(LogLevel::Warning, "job_message_unusable", doc.reason_view());
        return;
    }
    if (job_in_hand()) {
        if (result != JobParseResult::NoJob && doc.job_id_view() == state_.job_id_view()) {
            ++stats_.duplicates_ignored;
            log(LogLevel::Info, "duplicate_job_ignored", state_.job_id_view());
            if (state_.phase == Phase::Downloading && !update_in_flight_ &&
                doc.has_version_number) {
                state_.version_number = doc.version_number;
                state_.has_version_number = true;
            }
            return;
        }
        // The head of the queue is no longer the job in hand: it may have been cancelled.
        if (state_.phase == Phase::Downloading && !describe_in_flight_) {
            publish_describe();
        }
        return;
    }
    if (result == JobParseResult::NoJob) {
        log(LogLevel::Debug, "no_pending_job");
        return;
    }
    if (abandoned_job_length_ != 0 &&
        doc.job_id_view() == std::string_view(abandoned_job_.data(), abandoned_job_length_)) {
        log(LogLevel::Warning, "abandoned_job_ignored", doc.job_id_view());
        return;
    }
    if (result == JobParseResult::InvalidDocument) {
        start_failing_job(doc);
    } else {
        take_job(doc);
    }
}

void Agent::take_job(const JobDocument& doc) {
    state_ = PersistedState{};
    state_.phase = Phase::Starting;
    state_.job_id_length = doc.job_id_length;
    std::copy_n(doc.job_id.data(), doc.job_id.size(), state_.job_id.data());
    state_.has_version_number = doc.has_version_number;
    state_.version_number = doc.version_number;
    state_.url_length = doc.url_length;
    std::copy_n(doc.url.data(), doc.url.size(), state_.url.data());
    state_.has_size = doc.has_size;
    state_.size = doc.size;
    state_.total_known = doc.has_size;
    state_.total = doc.size;
    state_.has_sha256 = doc.has_sha256;
    state_.sha256 = doc.sha256;
    state_.has_target_version = doc.has_fwversion;
    state_.target_version = doc.fwversion;
    state_.from_version = boot_info_.running;
    update_retries_ = 0;
    url_refreshes_ = 0;
    failed_attempts_ = 0;
    restarts_from_zero_ = 0;
    reset_download_progress();
    ++stats_.jobs_taken;
    save_state();
    log(LogLevel::Info, "job_taken", state_.job_id_view());
    if (connected_) {
        if (profile_.unsubscribe_notify_next_during_job) {
            (void)ports_.mqtt.unsubscribe(thing_topic(ThingTopic::NotifyNext));
        }
        if (profile_.subscribe_update_replies) {
            (void)ports_.mqtt.subscribe(job_topic(JobTopic::UpdateAccepted));
            (void)ports_.mqtt.subscribe(job_topic(JobTopic::UpdateRejected));
        }
    }
    publish_update();
}

void Agent::start_failing_job(const JobDocument& doc) {
    state_ = PersistedState{};
    state_.phase = Phase::Failing;
    state_.job_id_length = doc.job_id_length;
    std::copy_n(doc.job_id.data(), doc.job_id.size(), state_.job_id.data());
    state_.has_version_number = doc.has_version_number;
    state_.version_number = doc.version_number;
    state_.from_version = boot_info_.running;
    state_.set_reason(doc.reason_view());
    update_retries_ = 0;
    save_state();
    log(LogLevel::Warning, "job_document_invalid", state_.reason_view());
    if (connected_) {
        if (profile_.unsubscribe_notify_next_during_job) {
            (void)ports_.mqtt.unsubscribe(thing_topic(ThingTopic::NotifyNext));
        }
        if (profile_.subscribe_update_replies) {
            (void)ports_.mqtt.subscribe(job_topic(JobTopic::UpdateAccepted));
            (void)ports_.mqtt.subscribe(job_topic(JobTopic::UpdateRejected));
        }
    }
    publish_update();
}

void Agent::publish_update() {
    if (!connected_) {
        return; // sent again from on_connected
    }
    JobUpdate update;
    switch (state_.phase) {
    case Phase::Starting:
        update.status = ExecutionStatus::InProgress;
        update.next_state = NextState::DownloadFirmware;
        break;
    case Phase::Applying:
        update.status = ExecutionStatus::InProgress;
        update.next_state = NextState::ApplyFirmware;
        break;
    case Phase::Succeeding:
        update.status = ExecutionStatus::Succeeded;
        update.next_state = NextState::None;
        break;
    case Phase::Failing:
        update.status = ExecutionStatus::Failed;
        update.next_state = NextState::None;
        update.reason = state_.reason_view();
        break;
    default:
        return;
    }
    update.has_expected_version = state_.has_version_number;
    update.expected_version = state_.version_number;
    new_client_token();
    update.client_token = {client_token_.data(), kClientTokenLength};
    std::string_view payload;
    if (!build_job_update(payload_, profile_.update_format, update, payload)) {
        update.reason = "failure reason unprintable";
        (void)build_job_update(payload_, profile_.update_format, update, payload);
    }
    update_in_flight_ = true;
    ++stats_.updates_published;
    publish_payload(job_topic(JobTopic::Update), payload);
    ports_.timers.start(TimerId::UpdateResponse, profile_.update_response_timeout_ms);
}

void Agent::handle_update_reply(bool accepted, std::string_view payload) {
    if (!update_in_flight_) {
        log(LogLevel::Debug, "unexpected_update_reply", state_.job_id_view());
        return;
    }
    JobReply reply;
    if (!parse_job_reply(payload, reply)) {
        log(LogLevel::Warning, "update_reply_unreadable", state_.job_id_view());
        return;
    }
    if (profile_.update_format == UpdateFormat::Seed &&
        (!reply.has_client_token ||
         reply.client_token_view() != std::string_view(client_token_.data(), kClientTokenLength))) {
        log(LogLevel::Debug, "stale_update_reply", reply.client_token_view());
        return;
    }
    ports_.timers.cancel(TimerId::UpdateResponse);
    update_in_flight_ = false;
    if (accepted) {
        if (state_.has_version_number) {
            ++state_.version_number;
        }
        update_retries_ = 0;
        update_accepted();
        return;
    }
    ++stats_.updates_rejected;
    const ExecutionStatus sent = state_.phase == Phase::Succeeding ? ExecutionStatus::Succeeded
                                 : state_.phase == Phase::Failing  ? ExecutionStatus::Failed
                                                                   : ExecutionStatus::InProgress;
    if (reply.has_state_version) {
        state_.has_version_number = true;
        state_.version_number = reply.state_version;
    }
    std::array<char, kLogDetailSize> buffer{};
    TextBuilder reason(buffer);
    switch (reply.code) {
    case RejectCode::VersionMismatch:
    case RejectCode::InvalidStateTransition:
        if (reply.has_execution_state && reply.state_status == sent && is_terminal(sent)) {
            log(LogLevel::Info, "update_already_applied", execution_status_text(sent));
            update_accepted();
            return;
        }
        if (reply.has_execution_state && is_terminal(reply.state_status)) {
            reason.append("job is ").append(execution_status_text(reply.state_status));
            reason.append(" in the cloud");
            job_over(reason.view());
            return;
        }
        if (reply.code == RejectCode::VersionMismatch &&
            update_retries_ < profile_.max_update_retries) {
            ++update_retries_;
            log_number(LogLevel::Warning, "version_resync", "retrying with expectedVersion ",
                       state_.version_number);
            save_state();
            publish_update();
            return;
        }
        job_over(reply.code == RejectCode::VersionMismatch
                     ? "update rejected: VersionMismatch, retries exhausted"
                     : "update rejected: InvalidStateTransition");
        return;
    case RejectCode::ResourceNotFound:
    case RejectCode::TerminalStateReached:
        job_over("job no longer exists in the cloud");
        return;
    case RejectCode::RequestThrottled:
    case RejectCode::InternalError:
        if (update_retries_ < profile_.max_update_retries) {
            ++update_retries_;
            update_in_flight_ = true; // re-sent when UpdateResponse fires
            ports_.timers.start(
                TimerId::UpdateResponse,
                backoff_delay_ms(profile_.download, update_retries_, random_.next()));
            return;
        }
        job_over("update rejected: throttled or internal error, retries exhausted");
        return;
    default:
        job_over("update rejected by the cloud");
        return;
    }
}

void Agent::update_accepted() {
    switch (state_.phase) {
    case Phase::Starting:
        state_.phase = Phase::Downloading;
        save_state();
        log(LogLevel::Info, "download_started", slice(state_.url_view(), 0, 120));
        start_download();
        if (state_.phase == Phase::Downloading && connected_) {
            ports_.timers.start(TimerId::JobCheck, profile_.job_check_interval_ms);
        }
        return;
    case Phase::Applying:
        if (profile_.report_success_after_boot) {
            reboot_into_update();
        } else {
            state_.phase = Phase::Succeeding;
            save_state();
            publish_update();
        }
        return;
    case Phase::Succeeding:
        if (profile_.report_success_after_boot) {
            log(LogLevel::Info, "job_succeeded", state_.job_id_view());
            finish_job();
        } else {
            reboot_into_update();
        }
        return;
    case Phase::Failing:
        log(LogLevel::Info, "job_failed_reported", state_.job_id_view());
        finish_job();
        return;
    default:
        return;
    }
}

void Agent::reboot_into_update() {
    cancel_download();
    ports_.timers.cancel(TimerId::UpdateResponse);
    ports_.timers.cancel(TimerId::JobCheck);
    state_.phase = Phase::Rebooting;
    ++state_.apply_attempts;
    save_state();
    if (ports_.boot.request_upgrade(profile_.permanent_upgrade) != PortStatus::Ok) {
        log(LogLevel::Error, "request_upgrade_failed", state_.job_id_view());
        if (profile_.report_success_after_boot) {
            fail_job("the boot loader refused the upgrade request");
        } else {
            finish_job();
        }
        return;
    }
    log(LogLevel::Info, "rebooting", state_.job_id_view());
    rebooted_ = true;
    ports_.boot.reboot();
}

void Agent::job_over(std::string_view reason) {
    log(LogLevel::Warning, "job_abandoned", reason);
    if (state_.phase == Phase::Failing) {
        abandoned_job_length_ = state_.job_id_length;
        std::copy_n(state_.job_id.data(), state_.job_id.size(), abandoned_job_.data());
    }
    finish_job();
}

void Agent::finish_job() {
    cancel_download();
    ports_.timers.cancel(TimerId::UpdateResponse);
    ports_.timers.cancel(TimerId::JobCheck);
    const bool had_update_topics = profile_.subscribe_update_replies && job_in_hand();
    if (connected_ && had_update_topics) {
        (void)ports_.mqtt.unsubscribe(job_topic(JobTopic::UpdateAccepted));
        (void)ports_.mqtt.unsubscribe(job_topic(JobTopic::UpdateRejected));
    }
    state_ = PersistedState{};
    update_in_flight_ = false;
    describe_in_flight_ = false;
    update_retries_ = 0;
    reset_download_progress();
    save_state();
    if (connected_) {
        if (profile_.unsubscribe_notify_next_during_job) {
            (void)ports_.mqtt.subscribe(thing_topic(ThingTopic::NotifyNext));
        }
        publish_next_get();
    }
}

void Agent::fail_job(std::string_view reason) {
    cancel_download();
    ports_.timers.cancel(TimerId::JobCheck);
    state_.phase = Phase::Failing;
    state_.set_reason(reason); // reason may live in the scratch space that save_state reuses
    update_retries_ = 0;
    save_state();
    log(LogLevel::Error, "job_failed", state_.reason_view());
    update_in_flight_ = false;
    publish_update();
}

void Agent::handle_describe_reply(bool accepted, std::string_view payload) {
    describe_in_flight_ = false;
    if (!accepted) {
        JobReply reply;
        (void)parse_job_reply(payload, reply);
        if (reply.code == RejectCode::ResourceNotFound ||
            reply.code == RejectCode::TerminalStateReached) {
            job_over("job was deleted or ended in the cloud");
        } else {
            log(LogLevel::Warning, "describe_rejected", slice(payload, 0, 120));
        }
        return;
    }
    JobDocumentOptions options;
    options.required_operation = profile_.required_operation;
    options.max_image_size = geometry_.slot_size;
    JobDocument& doc = scratch_doc();
    const JobParseResult result = parse_job_execution(payload, options, doc);
    if (result == JobParseResult::NoJob) {
        job_over("job no longer exists in the cloud");
        return;
    }
    if (result == JobParseResult::InvalidEnvelope || doc.job_id_view() != state_.job_id_view()) {
        log(LogLevel::Warning, "describe_reply_unusable", doc.reason_view());
        return;
    }
    if (is_terminal(doc.status)) {
        std::array<char, kLogDetailSize> buffer{};
        TextBuilder reason(buffer);
        reason.append("job is ").append(execution_status_text(doc.status));
        reason.append(" in the cloud");
        job_over(reason.view());
        return;
    }
    if (!update_in_flight_ && doc.has_version_number) {
        state_.has_version_number = true;
        state_.version_number = doc.version_number;
    }
    if (!refresh_pending_ || state_.phase != Phase::Downloading) {
        return;
    }
    refresh_pending_ = false;
    if (result != JobParseResult::Job) {
        fail_job(doc.reason_view());
        return;
    }
    if (doc.has_size != state_.has_size || doc.size != state_.size) {
        fail_job("the refreshed job document has a different size");
        return;
    }
    state_.url_length = doc.url_length;
    std::copy_n(doc.url.data(), doc.url.size(), state_.url.data());
    save_state();
    log(LogLevel::Info, "url_refreshed", state_.job_id_view());
    start_fragment();
}

// ---- download -----------------------------------------------------------------------------

void Agent::reset_download_progress() {
    received_offset_ = 0;
    erased_end_ = 0;
    write_buffer_start_ = 0;
    write_buffer_fill_ = 0;
    state_.download_offset = 0;
}

void Agent::start_download() {
    if (state_.phase != Phase::Downloading) {
        return;
    }
    download_active_ = true;
    if (state_.total_known && received_offset_ >= state_.total) {
        download_complete();
        return;
    }
    start_fragment();
}

void Agent::start_fragment() {
    ports_.timers.cancel(TimerId::DownloadRetry);
    download_active_ = true;
    requested_ = next_range(received_offset_, profile_.download.fragment_size, state_.total_known,
                            state_.total);
    HttpRequest request;
    request.id = next_request_id_++;
    request.method = HttpMethod::Get;
    request.url = state_.url_view();
    request.has_range = true;
    request.range_start = requested_.first;
    request.range_end = requested_.last;
    request_id_ = request.id;
    request_kind_ = RequestKind::Download;
    response_status_ = 0;
    content_range_length_ = 0;
    content_range_too_long_ = false;
    response_judged_ = false;
    ++stats_.http_requests;
    if (ports_.http.start(request) != PortStatus::Ok) {
        request_kind_ = RequestKind::None;
        schedule_retry("HTTP request could not be started");
        return;
    }
    ports_.timers.start(TimerId::DownloadStall, profile_.download.stall_timeout_ms);
}

void Agent::cancel_download() {
    if (request_kind_ == RequestKind::Download) {
        ports_.http.cancel(request_id_);
        request_kind_ = RequestKind::None;
    }
    ports_.timers.cancel(TimerId::DownloadRetry);
    ports_.timers.cancel(TimerId::DownloadStall);
    download_active_ = false;
    refresh_pending_ = false;
}

void Agent::schedule_retry(std::string_view reason) {
    ++failed_attempts_;
    ++stats_.download_retries;
    if (failed_attempts_ >= profile_.download.max_attempts) {
        std::array<char, kLogDetailSize> buffer{};
        TextBuilder text(buffer);
        text.append(reason).append(" (after ").append_uint(failed_attempts_).append(" attempts)");
        fail_job(text.ok() ? text.view() : reason);
        return;
    }
    const std::uint32_t delay =
        backoff_delay_ms(profile_.download, failed_attempts_, random_.next());
    std::array<char, kLogDetailSize> buffer{};
    TextBuilder text(buffer);
    text.append(reason).append("; retry in ms ").append_uint(delay);
    log(LogLevel::Warning, "download_retry", text.view());
    ports_.timers.start(TimerId::DownloadRetry, delay);
}

void Agent::handle_verdict(Verdict verdict, std::string_view reason) {
    switch (verdict) {
    case Verdict::Accept:
        return;
    case Verdict::Retry:
        schedule_retry(reason);
        return;
    case Verdict::RestartFromZero:
        ++restarts_from_zero_;
        ++stats_.restarts_from_zero;
        if (restarts_from_zero_ > 2) {
            fail_job(reason);
            return;
        }
        log(LogLevel::Warning, "download_restart", reason);
        reset_download_progress();
        state_.total_known = state_.has_size;
        state_.total = state_.size;
        save_state();
        start_fragment();
        return;
    case Verdict::RefreshUrl:
        if (url_refreshes_ >= profile_.download.max_url_refreshes) {
            fail_job("HTTP 403 after refreshing the URL");
            return;
        }
        ++url_refreshes_;
        ++stats_.url_refreshes;
        refresh_pending_ = true;
        log(LogLevel::Warning, "url_refresh", reason);
        publish_describe(); // when offline, on_connected describes the job
        return;
    case Verdict::Fail:
        fail_job(reason);
        return;
    }
}

bool Agent::judge_response() {
    response_judged_ = true;
    ObjectExpectation expected;
    expected.total_known = state_.total_known;
    expected.total = state_.total;
    expected.total_from_document = state_.has_size;
    expected.slot_size = geometry_.slot_size;
    const std::string_view content_range =
        content_range_too_long_ ? std::string_view("invalid")
                                : std::string_view(content_range_.data(), content_range_length_);
    const ResponseCheck check =
        check_range_response(requested_, response_status_, content_range, expected);
    if (check.verdict == Verdict::Accept) {
        if (!state_.total_known) {
            state_.total_known = true;
            state_.total = check.total;
        }
        response_last_ = check.last;
        return true;
    }
    if (request_kind_ == RequestKind::Download) {
        ports_.http.cancel(request_id_);
        request_kind_ = RequestKind::None;
    }
    ports_.timers.cancel(TimerId::DownloadStall);
    std::array<char, kLogDetailSize> buffer{};
    TextBuilder reason(buffer);
    reason.append("HTTP ").append_uint(
        static_cast<std::uint64_t>(response_status_ < 0 ? 0 : response_status_));
    reason.append(": ").append(check.reason);
    handle_verdict(check.verdict, reason.ok() ? reason.view() : check.reason);
    return false;
}

void Agent::on_http_status(std::uint32_t request_id, int status) {
    if (rebooted_ || request_kind_ == RequestKind::None || request_id != request_id_) {
        return;
    }
    response_status_ = status;
    content_range_length_ = 0;
    content_range_too_long_ = false;
}

void Agent::on_http_header(std::uint32_t request_id, std::string_view name,
                           std::string_view value) {
    if (rebooted_ || request_kind_ != RequestKind::Download || request_id != request_id_ ||
        !equals_ignore_case(name, "content-range")) {
        return;
    }
    if (value.size() >= content_range_.size()) {
        content_range_too_long_ = true;
        return;
    }
    std::copy_n(value.data(), value.size(), content_range_.data());
    content_range_length_ = value.size();
}

void Agent::on_http_body(std::uint32_t request_id, std::span<const std::uint8_t> data) {
    if (rebooted_ || request_kind_ != RequestKind::Download || request_id != request_id_) {
        return;
    }
    ports_.timers.start(TimerId::DownloadStall, profile_.download.stall_timeout_ms);
    if (!response_judged_ && !judge_response()) {
        return;
    }
    const std::uint32_t remaining =
        received_offset_ <= response_last_ ? response_last_ + 1 - received_offset_ : 0;
    const std::size_t take = std::min<std::size_t>(data.size(), remaining);
    if (take > 0 && !append_image_bytes(data.first(take))) {
        return;
    }
    if (data.size() > take) {
        ports_.http.cancel(request_id_);
        request_kind_ = RequestKind::None;
        ports_.timers.cancel(TimerId::DownloadStall);
        schedule_retry("response body longer than the requested range");
    }
}

void Agent::on_http_done(std::uint32_t request_id) {
    if (rebooted_ || request_kind_ == RequestKind::None || request_id != request_id_) {
        return;
    }
    if (request_kind_ == RequestKind::Shadow) {
        request_kind_ = RequestKind::None;
        shadow_finished(response_status_ >= 200 && response_status_ <= 299);
        return;
    }
    ports_.timers.cancel(TimerId::DownloadStall);
    request_kind_ = RequestKind::None;
    if (!response_judged_ && !judge_response()) {
        return;
    }
    if (received_offset_ <= response_last_) {
        if (flush_write_buffer(false)) {
            save_state();
            schedule_retry("response body shorter than the requested range");
        }
        return;
    }
    fragment_complete();
}

void Agent::on_http_error(std::uint32_t request_id, HttpError error) {
    if (rebooted_ || request_kind_ == RequestKind::None || request_id != request_id_) {
        return;
    }
    if (request_kind_ == RequestKind::Shadow) {
        request_kind_ = RequestKind::None;
        shadow_finished(false);
        return;
    }
    ports_.timers.cancel(TimerId::DownloadStall);
    request_kind_ = RequestKind::None;
    if (flush_write_buffer(false)) {
        save_state();
        schedule_retry(http_error_text(error));
    }
}

bool Agent::ensure_erased(std::uint32_t end) {
    while (erased_end_ < end) {
        if (ports_.flash.erase(erased_end_, geometry_.erase_page_size) != PortStatus::Ok) {
            log_number(LogLevel::Error, "flash_erase_failed", "offset ", erased_end_);
            fail_job("flash erase failed");
            return false;
        }
        erased_end_ += geometry_.erase_page_size;
    }
    return true;
}

bool Agent::append_image_bytes(std::span<const std::uint8_t> data) {
    std::size_t pos = 0;
    while (pos < data.size()) {
        const std::size_t room = write_buffer_.size() - write_buffer_fill_;
        const std::size_t count = std::min(room, data.size() - pos);
        std::memcpy(write_buffer_.data() + write_buffer_fill_, data.data() + pos, count);
        write_buffer_fill_ += count;
        pos += count;
        received_offset_ += static_cast<std::uint32_t>(count);
        if (write_buffer_fill_ == write_buffer_.size() && !flush_write_buffer(false)) {
            return false;
        }
    }
    return true;
}

bool Agent::flush_write_buffer(bool final_block) {
    const std::size_t block = geometry_.write_block_size;
    std::size_t length = write_buffer_fill_ - write_buffer_fill_ % block;
    if (final_block && length < write_buffer_fill_) {
        length += block;
        std::fill(write_buffer_.begin() + static_cast<std::ptrdiff_t>(write_buffer_fill_),
                  write_buffer_.begin() + static_cast<std::ptrdiff_t>(length), 0xFF);
    }
    if (length == 0) {
        return true;
    }
    const auto end = static_cast<std::uint32_t>(write_buffer_start_ + length);
    if (end > geometry_.slot_size) {
        fail_job("image larger than the update slot");
        return false;
    }
    if (!ensure_erased(end)) {
        return false;
    }
    if (ports_.flash.write(write_buffer_start_,
                           std::span<const std::uint8_t>(write_buffer_.data(), length)) !=
        PortStatus::Ok) {
        log_number(LogLevel::Error, "flash_write_failed", "offset ", write_buffer_start_);
        fail_job("flash write failed");
        return false;
    }
    stats_.bytes_written += static_cast<std::uint32_t>(length);
    const std::size_t tail = write_buffer_fill_ > length ? write_buffer_fill_ - length : 0;
    std::memmove(write_buffer_.data(), write_buffer_.data() + length, tail);
    write_buffer_fill_ = tail;
    write_buffer_start_ = end;
    state_.download_offset =
        state_.total_known ? std::min(write_buffer_start_, state_.total) : write_buffer_start_;
    return true;
}

void Agent::fragment_complete() {
    failed_attempts_ = 0;
    if (state_.total_known && received_offset_ >= state_.total) {
        download_complete();
        return;
    }
    if (!flush_write_buffer(false)) {
        return;
    }
    save_state();
    start_fragment();
}

void Agent::download_complete() {
    if (!flush_write_buffer(true)) {
        return;
    }
    ports_.timers.cancel(TimerId::JobCheck);
    ports_.timers.cancel(TimerId::DownloadStall);
    download_active_ = false;
    const std::uint32_t total = state_.total;
    if (state_.has_size && total != state_.size) {
        fail_job("downloaded size differs from the job document");
        return;
    }
    if (state_.has_sha256) {
        Sha256 hash;
        for (std::uint32_t offset = 0; offset < total;) {
            const std::uint32_t chunk =
                std::min<std::uint32_t>(total - offset, kFlashWriteBufferSize);
            if (ports_.flash.read(offset, std::span<std::uint8_t>(write_buffer_.data(), chunk)) !=
                PortStatus::Ok) {
                fail_job("flash read failed while verifying the image");
                return;
            }
            hash.update(std::span<const std::uint8_t>(write_buffer_.data(), chunk));
            offset += chunk;
        }
        if (hash.finish() != state_.sha256) {
            fail_job("SHA-256 of the downloaded image does not match the job document");
            return;
        }
    }
    state_.download_offset = total;
    state_.phase = Phase::Applying;
    save_state();
    log_number(LogLevel::Info, "download_complete", "bytes ", total);
    publish_update();
}

// ---- timers -------------------------------------------------------------------------------

void Agent::on_timer(TimerId id) {
    if (!booted_ || rebooted_ || !config_ok_) {
        return;
    }
    switch (id) {
    case TimerId::DownloadRetry:
        if (state_.phase == Phase::Downloading && request_kind_ != RequestKind::Download &&
            !refresh_pending_) {
            start_fragment();
        }
        return;
    case TimerId::DownloadStall:
        if (request_kind_ == RequestKind::Download) {
            ports_.http.cancel(request_id_);
            request_kind_ = RequestKind::None;
            if (flush_write_buffer(false)) {
                save_state();
                schedule_retry("download stalled");
            }
        }
        return;
    case TimerId::UpdateResponse:
        if (update_in_flight_ && update_outstanding()) {
            update_in_flight_ = false;
            if (update_retries_ >= profile_.max_update_retries) {
                job_over("no reply to the job update");
                return;
            }
            ++update_retries_;
            log(LogLevel::Warning, "update_resend", state_.job_id_view());
            publish_update();
        }
        return;
    case TimerId::JobCheck:
        if (state_.phase == Phase::Downloading && connected_) {
            publish_describe();
            ports_.timers.start(TimerId::JobCheck, profile_.job_check_interval_ms);
        }
        return;
    case TimerId::ShadowRetry:
        if (request_kind_ == RequestKind::None && !connect_requested_) {
            start_shadow_report();
        }
        return;
    }
}

} // namespace fota
