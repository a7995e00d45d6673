// fota::Agent's download: ranged GETs with strict 206/Content-Range checks, retries with backoff,
// restart from zero, a URL refresh on 403, the stall timer, and the body streamed into the
// secondary slot (lazy page erase, aligned writes, the persisted offset); then the size and
// SHA-256 check of the whole image.
#include "fota/agent.hpp"
#include "fota/text.hpp"

#include <algorithm>
#include <cstring>

namespace fota {
namespace {

const char* http_error_text(HttpError error) {
    // Indexed by HttpError.
    static constexpr const char* kTexts[] = {"timeout",    "connection_reset", "connect_failed",
                                             "dns_failed", "tls_failed",       "transport_error"};
    const auto index = static_cast<std::size_t>(error);
    return index < std::size(kTexts) ? kTexts[index] : "transport_error";
}

} // namespace

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
    cancel_timer(TimerId::DownloadRetry);
    download_active_ = true;
    requested_ = next_range(received_offset_, profile_.download.fragment_size, state_.total_known,
                            state_.total);
    HttpRequest request;
    request.id = next_request_id_++;
    request.method = HttpMethod::Get;
    request.url = url();
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
        schedule_retry("http_start_failed");
        return;
    }
    start_timer(TimerId::DownloadStall, profile_.download.stall_timeout_ms);
}

void Agent::stop_request() {
    if (request_kind_ == RequestKind::Download) {
        ports_.http.cancel(request_id_);
        request_kind_ = RequestKind::None;
    }
}

void Agent::retry_after_flush(std::string_view reason) {
    if (flush_write_buffer(false)) {
        save_state();
        schedule_retry(reason);
    }
}

void Agent::cancel_download() {
    stop_request();
    cancel_timer(TimerId::DownloadRetry);
    cancel_timer(TimerId::DownloadStall);
    download_active_ = false;
    refresh_pending_ = false;
}

void Agent::schedule_retry(std::string_view reason) {
    ++failed_attempts_;
    ++stats_.download_retries;
    std::array<char, kLogDetailSize> buffer; // written before read: no memset
    TextBuilder text(buffer);
    text.append(reason).append(" attempts ").append_uint(failed_attempts_);
    if (failed_attempts_ >= profile_.download.max_attempts) {
        fail_job(text.ok() ? text.view() : reason);
        return;
    }
    const std::uint32_t delay =
        backoff_delay_ms(profile_.download, failed_attempts_, random_.next());
    text.append(" retry_ms ").append_uint(delay);
    log(LogLevel::Warning, Event::DownloadRetry, text.ok() ? text.view() : reason);
    start_timer(TimerId::DownloadRetry, delay);
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
        log(LogLevel::Warning, Event::DownloadRestart, reason);
        reset_download_progress();
        state_.total_known = state_.has_size;
        state_.total = state_.size;
        save_state();
        start_fragment();
        return;
    case Verdict::RefreshUrl:
        if (url_refreshes_ >= profile_.download.max_url_refreshes) {
            fail_job("http_403_after_refresh");
            return;
        }
        ++url_refreshes_;
        ++stats_.url_refreshes;
        refresh_pending_ = true;
        log(LogLevel::Warning, Event::UrlRefresh, reason);
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
    stop_request();
    cancel_timer(TimerId::DownloadStall);
    std::array<char, kLogDetailSize> buffer; // written before read: no memset
    TextBuilder reason(buffer);
    reason.append("HTTP ").append_uint(
        static_cast<std::uint64_t>(response_status_ < 0 ? 0 : response_status_));
    reason.append_char(' ').append(check.reason);
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
    start_timer(TimerId::DownloadStall, profile_.download.stall_timeout_ms);
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
        stop_request();
        cancel_timer(TimerId::DownloadStall);
        schedule_retry("body_too_long");
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
    cancel_timer(TimerId::DownloadStall);
    request_kind_ = RequestKind::None;
    if (!response_judged_ && !judge_response()) {
        return;
    }
    if (received_offset_ <= response_last_) {
        retry_after_flush("body_too_short");
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
    cancel_timer(TimerId::DownloadStall);
    request_kind_ = RequestKind::None;
    retry_after_flush(http_error_text(error));
}

bool Agent::ensure_erased(std::uint32_t end) {
    while (erased_end_ < end) {
        if (ports_.flash.erase(erased_end_, geometry_.erase_page_size) != PortStatus::Ok) {
            log_number(LogLevel::Error, Event::FlashEraseFailed, "offset ", erased_end_);
            fail_job("flash_erase_failed");
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
        fail_job("image_too_large");
        return false;
    }
    if (!ensure_erased(end)) {
        return false;
    }
    if (ports_.flash.write(write_buffer_start_,
                           std::span<const std::uint8_t>(write_buffer_.data(), length)) !=
        PortStatus::Ok) {
        log_number(LogLevel::Error, Event::FlashWriteFailed, "offset ", write_buffer_start_);
        fail_job("flash_write_failed");
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
    cancel_timer(TimerId::JobCheck);
    cancel_timer(TimerId::DownloadStall);
    download_active_ = false;
    const std::uint32_t total = state_.total;
    if (state_.has_size && total != state_.size) {
        fail_job("size_mismatch");
        return;
    }
    if (state_.has_sha256) {
        Flash::Digest digest;
        if (ports_.flash.sha256(total, digest) != PortStatus::Ok) {
            fail_job("flash_read_failed");
            return;
        }
        if (digest != state_.sha256) {
            fail_job("sha256_mismatch");
            return;
        }
    }
    state_.download_offset = total;
    state_.phase = Phase::Applying;
    save_state();
    log_number(LogLevel::Info, Event::DownloadComplete, "bytes ", total);
    publish_update();
}

} // namespace fota
