// fota::Agent's job intake and the end of a job: Jobs topics dispatched, a job document taken (or
// reported FAILED when unusable), duplicates and cancellations noticed, DescribeJobExecution
// replies (cancellation checks, fresh presigned URLs), and a job finished, failed or abandoned.
#include "fota/agent.hpp"
#include "fota/text.hpp"

#include <algorithm>

namespace fota {

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
                log(LogLevel::Warning, Event::NextJobQueryRejected, slice(payload, 0, 120));
            }
        } else if (job_in_hand() && parsed.job_id == state_.job_id_view()) {
            handle_describe_reply(parsed.accepted, payload);
        }
        return;
    case JobsTopicKind::UpdateReply:
        if (job_in_hand() && parsed.job_id == state_.job_id_view()) {
            handle_update_reply(parsed.accepted, payload);
        } else {
            log(LogLevel::Debug, Event::StaleUpdateReply, parsed.job_id);
        }
        return;
    default:
        log(LogLevel::Debug, Event::MessageIgnored, topic);
        return;
    }
}

JobParseResult Agent::parse_job(std::string_view payload, JobDocument& doc, bool keep_url) {
    doc.url = keep_url ? state_record_url_field(record_) : std::span<char>();
    JobDocumentOptions options;
    options.required_operation = profile_.required_operation;
    options.max_image_size = geometry_.slot_size;
    return parse_job_execution(payload, options, doc);
}

void Agent::handle_job_message(std::string_view payload) {
    JobDocument& doc = scratch_doc();
    // A job in hand keeps its URL: the document of another (or the same) job only tells whether
    // the job in hand is still the head of the queue.
    const JobParseResult result = parse_job(payload, doc, !job_in_hand());
    if (result == JobParseResult::InvalidEnvelope) {
        log(LogLevel::Warning, Event::JobMessageUnusable, doc.reason_view());
        return;
    }
    if (job_in_hand()) {
        if (result != JobParseResult::NoJob && doc.job_id_view() == state_.job_id_view()) {
            ++stats_.duplicates_ignored;
            log_job(LogLevel::Info, Event::DuplicateJobIgnored);
            // A duplicate may be older than what update/accepted told (AWS orders no reply
            // against a notification): only a newer version is adopted.
            if (state_.phase == Phase::Downloading && !update_in_flight_ &&
                doc.has_version_number &&
                (!state_.has_version_number || doc.version_number > state_.version_number)) {
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
        log(LogLevel::Debug, Event::NoPendingJob);
        return;
    }
    if (abandoned_job_length_ != 0 &&
        doc.job_id_view() == std::string_view(abandoned_job_.data(), abandoned_job_length_)) {
        log(LogLevel::Warning, Event::AbandonedJobIgnored, doc.job_id_view());
        return;
    }
    if (result == JobParseResult::InvalidDocument) {
        start_failing_job(doc);
    } else {
        take_job(doc);
    }
}

void Agent::adopt_job(const JobDocument& doc, Phase phase) {
    state_.reset();
    state_.phase = phase;
    state_.job_id_length = doc.job_id_length;
    std::copy_n(doc.job_id.data(), doc.job_id.size(), state_.job_id.data());
    state_.has_version_number = doc.has_version_number;
    state_.version_number = doc.version_number;
    state_.from_version = boot_info_.running;
    update_retries_ = 0;
}

void Agent::announce_job(LogLevel level, Event event, std::string_view detail) {
    save_state();
    log(level, event, detail);
    if (connected_) {
        if (profile_.unsubscribe_notify_next_during_job) {
            (void)ports_.mqtt.unsubscribe(thing_topic(ThingTopic::NotifyNext));
        }
        subscribe_update_replies(true);
    }
    publish_update();
}

void Agent::take_job(const JobDocument& doc) {
    adopt_job(doc, Phase::Starting);
    state_.url_length = doc.url_length; // the URL is in the record's URL field already
    state_.has_size = doc.has_size;
    state_.size = doc.size;
    state_.total_known = doc.has_size;
    state_.total = doc.size;
    state_.has_sha256 = doc.has_sha256;
    state_.sha256 = doc.sha256;
    state_.has_target_version = doc.has_fwversion;
    state_.target_version = doc.fwversion;
    url_refreshes_ = 0;
    failed_attempts_ = 0;
    restarts_from_zero_ = 0;
    reset_download_progress();
    ++stats_.jobs_taken;
    announce_job(LogLevel::Info, Event::JobTaken, state_.job_id_view());
}

void Agent::start_failing_job(const JobDocument& doc) {
    adopt_job(doc, Phase::Failing);
    set_failure_reason(doc.reason_view());
    announce_job(LogLevel::Warning, Event::JobDocumentInvalid, failure_reason());
}

void Agent::job_over(std::string_view reason) {
    log(LogLevel::Warning, Event::JobAbandoned, reason);
    if (state_.phase == Phase::Failing) {
        abandoned_job_length_ = state_.job_id_length;
        std::copy_n(state_.job_id.data(), state_.job_id.size(), abandoned_job_.data());
    }
    finish_job();
}

void Agent::job_ended_in_cloud(ExecutionStatus status) {
    std::array<char, kLogDetailSize> buffer; // written before read: no memset
    TextBuilder reason(buffer);
    reason.append("cloud_status ").append(execution_status_text(status));
    job_over(reason.view());
}

void Agent::finish_job() {
    cancel_download();
    cancel_timer(TimerId::UpdateResponse);
    cancel_timer(TimerId::JobCheck);
    if (connected_ && job_in_hand()) {
        subscribe_update_replies(false);
    }
    state_.reset();
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
    cancel_timer(TimerId::JobCheck);
    state_.phase = Phase::Failing;
    set_failure_reason(reason); // copied first: reason may lie in the scratch space (a document)
    update_retries_ = 0;
    save_state();
    log(LogLevel::Error, Event::JobFailed, failure_reason());
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
            job_over("job_gone");
        } else {
            log(LogLevel::Warning, Event::DescribeRejected, slice(payload, 0, 120));
        }
        return;
    }
    JobDocument& doc = scratch_doc();
    // Only a refresh replaces the URL in hand (the one it had has expired: no request uses it
    // until the refresh is over).
    const JobParseResult result =
        parse_job(payload, doc, refresh_pending_ && state_.phase == Phase::Downloading);
    if (result == JobParseResult::NoJob) {
        job_over("job_gone");
        return;
    }
    if (result == JobParseResult::InvalidEnvelope || doc.job_id_view() != state_.job_id_view()) {
        log(LogLevel::Warning, Event::DescribeReplyUnusable, doc.reason_view());
        return;
    }
    if (is_terminal(doc.status)) {
        job_ended_in_cloud(doc.status);
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
        fail_job("refreshed_size_differs");
        return;
    }
    state_.url_length = doc.url_length; // the URL is in the record's URL field already
    save_state();
    log_job(LogLevel::Info, Event::UrlRefreshed);
    start_fragment();
}

} // namespace fota
