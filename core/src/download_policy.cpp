#include "fota/download_policy.hpp"

#include "fota/content_range.hpp"

namespace fota {
namespace {

// A response that is not accepted: the verdict and its reason (one out-of-line constructor for
// every refusal costs less code than setting the fields at each return).
ResponseCheck refuse(Verdict verdict, const char* reason) {
    ResponseCheck check;
    check.verdict = verdict;
    check.reason = reason;
    return check;
}

} // namespace

ByteRange next_range(std::uint32_t offset, std::uint32_t fragment_size, bool total_known,
                     std::uint32_t total) {
    const std::uint32_t fragment = fragment_size == 0 ? 1 : fragment_size;
    std::uint64_t last = static_cast<std::uint64_t>(offset) + fragment - 1;
    if (total_known && total > 0 && last > total - 1) {
        last = total - 1;
    }
    if (last > UINT32_MAX) {
        last = UINT32_MAX;
    }
    return ByteRange{offset, static_cast<std::uint32_t>(last)};
}

ResponseCheck check_range_response(const ByteRange& requested, int status,
                                   std::string_view content_range,
                                   const ObjectExpectation& expected) {
    if (status == 416) {
        if (requested.first == 0) {
            return refuse(Verdict::Fail, "empty_object");
        }
        return refuse(Verdict::RestartFromZero, "offset_beyond_object");
    }
    if (status == 403) {
        return refuse(Verdict::RefreshUrl, "forbidden");
    }
    if (status == 408 || status == 429 || (status >= 500 && status <= 599)) {
        return refuse(Verdict::Retry, "server_error");
    }
    if (status == 200) {
        return refuse(Verdict::Retry, "range_ignored");
    }
    if (status == 404 || status == 410) {
        return refuse(Verdict::Fail, "not_found");
    }
    if (status >= 300 && status <= 399) {
        return refuse(Verdict::Fail, "redirect");
    }
    if (status != 206) {
        return refuse(Verdict::Fail, "unexpected_status");
    }
    ContentRange range;
    if (content_range.empty()) {
        return refuse(Verdict::Retry, "no_content_range");
    }
    if (parse_content_range(content_range, range) != ContentRangeStatus::Ok || range.unsatisfied) {
        return refuse(Verdict::Retry, "bad_content_range");
    }
    if (!range.length_known) {
        return refuse(Verdict::Retry, "no_total_length");
    }
    if (range.length == 0 || range.length > expected.slot_size || range.length > kMaxImageSize) {
        return refuse(Verdict::Fail, "image_too_large");
    }
    const auto total = static_cast<std::uint32_t>(range.length);
    if (expected.total_known && total != expected.total) {
        if (expected.total_from_document) {
            return refuse(Verdict::Fail, "total_differs_from_document");
        }
        return refuse(Verdict::RestartFromZero, "object_size_changed");
    }
    if (range.first != requested.first) {
        return refuse(Verdict::Retry, "range_start_mismatch");
    }
    const bool clamped_at_end = range.last == range.length - 1 && range.last < requested.last;
    if (range.last != requested.last && !clamped_at_end) {
        return refuse(Verdict::Retry, "range_end_mismatch");
    }
    ResponseCheck check;
    check.verdict = Verdict::Accept;
    check.total = total;
    check.last = static_cast<std::uint32_t>(range.last);
    return check;
}

std::uint32_t backoff_delay_ms(const DownloadPolicyConfig& config, std::uint32_t attempt,
                               std::uint32_t random) {
    // 32-bit arithmetic only (a 64-bit division links libgcc's __udivmoddi4 on the target).
    const std::uint32_t max = config.backoff_max_ms;
    std::uint32_t delay = config.backoff_initial_ms;
    for (std::uint32_t i = 1; i < attempt && delay < max; ++i) {
        delay = delay > max / 2 ? max : delay * 2; // doubling past max clamps to max
    }
    if (delay > max) {
        delay = max;
    }
    const std::uint32_t percent = config.jitter_percent > 100 ? 100 : config.jitter_percent;
    // delay * percent / 100 without overflow: delay = 100 q + r.
    const std::uint32_t spread = delay / 100 * percent + delay % 100 * percent / 100;
    if (spread > 0) {
        // 2 * spread + 1 may exceed 32 bits; random % m is random itself when m > random.
        const std::uint32_t jitter =
            spread > (UINT32_MAX - 1) / 2 ? random : random % (2 * spread + 1);
        const std::uint64_t jittered = std::uint64_t{delay} - spread + jitter;
        delay = jittered > max ? max : static_cast<std::uint32_t>(jittered);
    }
    if (delay > max) {
        delay = max;
    }
    return delay;
}

std::uint32_t SeededRandom::next() {
    state_ += 0x9E3779B97F4A7C15ull;
    std::uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return static_cast<std::uint32_t>(z >> 32);
}

} // namespace fota
