// The HTTP download policy as pure functions: which Range to ask for next, whether a response
// may be written to flash, and how long to wait before the next attempt.
#pragma once

#include "fota/profile.hpp"

#include <cstdint>
#include <string_view>

namespace fota {

struct ByteRange {
    std::uint32_t first = 0; ///< inclusive
    std::uint32_t last = 0;  ///< inclusive
    std::uint32_t size() const { return last - first + 1; }
};

/// The next Range: [offset, offset + fragment_size - 1], clamped to total - 1 when the total is
/// known. offset must be < total when known; fragment_size 0 counts as 1.
ByteRange next_range(std::uint32_t offset, std::uint32_t fragment_size, bool total_known,
                     std::uint32_t total);

enum class Verdict : std::uint8_t {
    Accept,          ///< write the body at the requested offset
    Retry,           ///< transient or inconsistent: discard, back off, ask again
    RestartFromZero, ///< the object is not what was partly downloaded: start over at 0
    RefreshUrl,      ///< 403, e.g. an expired presigned URL: fetch the job document again
    Fail,            ///< permanent: the job fails with the reason
};

struct ResponseCheck {
    Verdict verdict = Verdict::Fail;
    std::string_view reason; ///< a static token ("server_error"), empty for Accept
    std::uint32_t total = 0; ///< Accept: the complete length from Content-Range
    std::uint32_t last = 0;  ///< Accept: the last byte the body will carry
};

/// What the download already knows about the object.
struct ObjectExpectation {
    bool total_known = false; ///< from the job document's size or an earlier Content-Range
    std::uint32_t total = 0;
    bool total_from_document = false;
    std::uint32_t slot_size = 0; ///< the image must fit the slot
};

/// Judge a response to a Range request before any of its body is written. content_range is the
/// header's value (empty if absent). Rules: only 206 with a Content-Range whose start equals the
/// request, whose end equals the request (or the object's last byte when the request ran past
/// it), and whose total matches what is known is accepted; 200 (Range ignored), a wrong start, a
/// longer range or "*" totals are retried; 416 restarts from 0 (unless already at 0: Fail); a
/// changed total restarts from 0, or fails when it contradicts the job document's size; 403
/// refreshes the URL; 408, 429 and 5xx retry; other statuses fail.
ResponseCheck check_range_response(const ByteRange& requested, int status,
                                   std::string_view content_range,
                                   const ObjectExpectation& expected);

/// Delay before retry attempt number attempt (1 = first retry): initial * 2^(attempt-1), capped,
/// then +/- jitter_percent, drawn from random (any 32-bit value from the seeded generator).
std::uint32_t backoff_delay_ms(const DownloadPolicyConfig& config, std::uint32_t attempt,
                               std::uint32_t random);

/// A small seeded generator (splitmix64): deterministic for record/replay.
class SeededRandom {
public:
    explicit SeededRandom(std::uint64_t seed) : state_(seed) {}
    std::uint32_t next();

private:
    std::uint64_t state_;
};

} // namespace fota
