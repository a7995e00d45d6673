// fota::Agent, the part every other file of the agent leans on: construction, the timers'
// dispatch, logging, the persisted state's save, clientTokens, topics and publishing. The inputs
// are handled by responsibility in agent_boot.cpp (boot, shadow report, connection),
// agent_jobs.cpp (job intake and the job's end), agent_updates.cpp (job updates, apply, reboot)
// and agent_download.cpp (the ranged download into flash).
#include "fota/agent.hpp"
#include "fota/text.hpp"

#include <algorithm>
#include <cstring>
#include <new>

namespace fota {

Agent::Agent(const AgentConfig& config, const Ports& ports)
    : AgentSetup(ports, config.profile, config.seed), AgentData() {
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

void Agent::log(LogLevel level, Event event, std::string_view detail) {
    ports_.log.event(level, event, detail);
}

void Agent::log(LogLevel level, Event event, const char* detail) {
    ports_.log.event(level, event, detail);
}

void Agent::log_job(LogLevel level, Event event) {
    ports_.log.event(level, event, state_.job_id_view());
}

void Agent::cancel_timer(TimerId id) {
    ports_.timers.cancel(id);
}

void Agent::start_timer(TimerId id, std::uint32_t ms) {
    ports_.timers.start(id, ms);
}

void Agent::log_number(LogLevel level, Event event, const char* text, std::uint32_t number) {
    std::array<char, kLogDetailSize> buffer; // written before read: no memset
    TextBuilder detail(buffer);
    detail.append(text).append_uint(number);
    ports_.log.event(level, event, detail.view());
}

JobDocument& Agent::scratch_doc() {
    return *::new (&scratch_.doc) JobDocument; // parse_job_execution sets every field
}

std::span<char> Agent::scratch_topic() {
    return *::new (&scratch_.topic) decltype(Scratch::topic); // the builder writes it: no memset
}

void Agent::set_failure_reason(std::string_view text) {
    const std::span<char> field = state_record_reason_field(record_);
    state_.reason_length = std::min(text.size(), field.size());
    std::memmove(field.data(), text.data(), state_.reason_length);
}

void Agent::save_state() {
    const std::size_t length = encode_state(state_, {url(), failure_reason()}, record_);
    ++stats_.state_saves;
    if (length == 0 || ports_.store.save(std::span<const std::uint8_t>(record_.data(), length)) !=
                           PortStatus::Ok) {
        log_job(LogLevel::Error, Event::StateSaveFailed);
    }
}

void Agent::new_client_token() {
    TextBuilder token(client_token_);
    token.append_hex(random_.next(), kClientTokenLength);
}

std::string_view Agent::job_topic(JobTopic which) {
    std::string_view view;
    (void)build_job_topic(scratch_topic(), thing(), state_.job_id_view(), which, view);
    return view;
}

std::string_view Agent::thing_topic(ThingTopic which) {
    std::string_view view;
    (void)build_thing_topic(scratch_topic(), thing(), which, view);
    return view;
}

void Agent::publish_payload(std::string_view topic, std::string_view payload) {
    if (topic.empty() || payload.empty()) {
        log(LogLevel::Error, Event::MessageNotBuilt, topic);
        return;
    }
    if (ports_.mqtt.publish(topic, payload) != PortStatus::Ok) {
        log(LogLevel::Warning, Event::PublishFailed, topic);
    }
}

bool Agent::update_outstanding() const {
    return state_.phase == Phase::Starting || state_.phase == Phase::Applying ||
           state_.phase == Phase::Succeeding || state_.phase == Phase::Failing;
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
            stop_request();
            retry_after_flush("download_stalled");
        }
        return;
    case TimerId::UpdateResponse:
        if (update_in_flight_ && update_outstanding()) {
            update_in_flight_ = false;
            if (update_retries_ >= profile_.max_update_retries) {
                job_over("no_update_reply");
                return;
            }
            ++update_retries_;
            log_job(LogLevel::Warning, Event::UpdateResend);
            publish_update();
        }
        return;
    case TimerId::JobCheck:
        if (state_.phase == Phase::Downloading && connected_) {
            publish_describe();
            start_timer(TimerId::JobCheck, profile_.job_check_interval_ms);
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
