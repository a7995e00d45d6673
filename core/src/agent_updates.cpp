// fota::Agent's job updates and what follows their replies: IN_PROGRESS, SUCCEEDED and FAILED
// published with expectedVersion and a clientToken; accepted and rejected replies (resync after
// VersionMismatch, retries, terminal states); the next phase; the reboot into the update.
#include "fota/agent.hpp"
#include "fota/text.hpp"

#include "fota/job_update.hpp"

namespace fota {

// ---- job updates -------------------------------------------------------------------------

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
        update.reason = failure_reason();
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
        update.reason = "reason_unprintable";
        (void)build_job_update(payload_, profile_.update_format, update, payload);
    }
    update_in_flight_ = true;
    ++stats_.updates_published;
    publish_payload(job_topic(JobTopic::Update), payload);
    start_timer(TimerId::UpdateResponse, profile_.update_response_timeout_ms);
}

void Agent::handle_update_reply(bool accepted, std::string_view payload) {
    if (!update_in_flight_) {
        log_job(LogLevel::Debug, Event::UnexpectedUpdateReply);
        return;
    }
    JobReply reply;
    if (!parse_job_reply(payload, reply)) {
        log_job(LogLevel::Warning, Event::UpdateReplyUnreadable);
        return;
    }
    if (profile_.update_format == UpdateFormat::Seed &&
        (!reply.has_client_token ||
         reply.client_token_view() != std::string_view(client_token_.data(), kClientTokenLength))) {
        log(LogLevel::Debug, Event::StaleUpdateReply, reply.client_token_view());
        return;
    }
    cancel_timer(TimerId::UpdateResponse);
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
    switch (reply.code) {
    case RejectCode::VersionMismatch:
    case RejectCode::InvalidStateTransition:
        if (reply.has_execution_state && reply.state_status == sent && is_terminal(sent)) {
            log(LogLevel::Info, Event::UpdateAlreadyApplied, execution_status_text(sent));
            update_accepted();
            return;
        }
        if (reply.has_execution_state && is_terminal(reply.state_status)) {
            job_ended_in_cloud(reply.state_status);
            return;
        }
        if (reply.code == RejectCode::VersionMismatch &&
            update_retries_ < profile_.max_update_retries) {
            ++update_retries_;
            log_number(LogLevel::Warning, Event::VersionResync, "expectedVersion ",
                       state_.version_number);
            save_state();
            publish_update();
            return;
        }
        job_over(reply.code == RejectCode::VersionMismatch ? "rejected VersionMismatch"
                                                           : "rejected InvalidStateTransition");
        return;
    case RejectCode::ResourceNotFound:
    case RejectCode::TerminalStateReached:
        job_over("job_gone");
        return;
    case RejectCode::RequestThrottled:
    case RejectCode::InternalError:
        if (update_retries_ < profile_.max_update_retries) {
            ++update_retries_;
            update_in_flight_ = true; // re-sent when UpdateResponse fires
            start_timer(TimerId::UpdateResponse,
                        backoff_delay_ms(profile_.download, update_retries_, random_.next()));
            return;
        }
        job_over("rejected throttled");
        return;
    default:
        job_over("rejected");
        return;
    }
}

void Agent::update_accepted() {
    switch (state_.phase) {
    case Phase::Starting:
        state_.phase = Phase::Downloading;
        save_state();
        log(LogLevel::Info, Event::DownloadStarted, slice(url(), 0, 120));
        start_download();
        if (state_.phase == Phase::Downloading && connected_) {
            start_timer(TimerId::JobCheck, profile_.job_check_interval_ms);
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
            log_job(LogLevel::Info, Event::JobSucceeded);
            finish_job();
        } else {
            reboot_into_update();
        }
        return;
    case Phase::Failing:
        log_job(LogLevel::Info, Event::JobFailedReported);
        finish_job();
        return;
    default:
        return;
    }
}

void Agent::reboot_into_update() {
    cancel_download();
    cancel_timer(TimerId::UpdateResponse);
    cancel_timer(TimerId::JobCheck);
    state_.phase = Phase::Rebooting;
    ++state_.apply_attempts;
    save_state();
    if (ports_.boot.request_upgrade(profile_.permanent_upgrade) != PortStatus::Ok) {
        log_job(LogLevel::Error, Event::RequestUpgradeFailed);
        if (profile_.report_success_after_boot) {
            fail_job("upgrade_refused");
        } else {
            finish_job();
        }
        return;
    }
    log_job(LogLevel::Info, Event::Rebooting);
    rebooted_ = true;
    ports_.boot.reboot();
}

} // namespace fota
