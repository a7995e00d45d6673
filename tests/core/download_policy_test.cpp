#include "fota/download_policy.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>

using namespace fota;

namespace {
ObjectExpectation expect(bool known = true, std::uint32_t total = 10000, bool from_doc = true) {
    ObjectExpectation e;
    e.total_known = known;
    e.total = total;
    e.total_from_document = from_doc;
    e.slot_size = 65536;
    return e;
}
} // namespace

TEST_CASE("next_range asks for fragments clamped to the object", "[core][download_policy]") {
    ByteRange r = next_range(0, 4096, false, 0);
    CHECK(r.first == 0);
    CHECK(r.last == 4095);
    r = next_range(8192, 4096, true, 10000);
    CHECK(r.first == 8192);
    CHECK(r.last == 9999);
    CHECK(r.size() == 1808);
    r = next_range(9999, 4096, true, 10000);
    CHECK(r.last == 9999);
    r = next_range(UINT32_MAX - 10, 4096, false, 0);
    CHECK(r.last == UINT32_MAX);
    CHECK(next_range(5, 0, false, 0).last == 5);
}

TEST_CASE("only a 206 with a matching Content-Range is written", "[core][download_policy]") {
    const ByteRange r{4096, 8191};
    ResponseCheck c = check_range_response(r, 206, "bytes 4096-8191/10000", expect());
    CHECK(c.verdict == Verdict::Accept);
    CHECK(c.total == 10000);
    CHECK(c.last == 8191);
    // The server clamps a range that runs past the end.
    c = check_range_response({8192, 12287}, 206, "bytes 8192-9999/10000", expect(false));
    CHECK(c.verdict == Verdict::Accept);
    CHECK(c.last == 9999);
    // 200: the server ignored Range (FB-14 trigger A): never written.
    CHECK(check_range_response(r, 200, "", expect()).verdict == Verdict::Retry);
    // A wrong start (FB-14 trigger B), also when the end matches the request.
    CHECK(check_range_response(r, 206, "bytes 0-4095/10000", expect()).verdict == Verdict::Retry);
    CHECK(check_range_response(r, 206, "bytes 4000-8191/10000", expect()).verdict ==
          Verdict::Retry);
    CHECK(check_range_response(r, 206, "bytes 4097-8191/10000", expect()).verdict ==
          Verdict::Retry);
    // A longer or shorter range than asked, not at the end of the object.
    CHECK(check_range_response(r, 206, "bytes 4096-9000/10000", expect()).verdict ==
          Verdict::Retry);
    CHECK(check_range_response(r, 206, "bytes 4096-5000/10000", expect()).verdict ==
          Verdict::Retry);
    // Missing, malformed or "*" Content-Range.
    CHECK(check_range_response(r, 206, "", expect()).verdict == Verdict::Retry);
    CHECK(check_range_response(r, 206, "bytes 4096-8191", expect()).verdict == Verdict::Retry);
    CHECK(check_range_response(r, 206, "bytes 4096-8191/*", expect()).verdict == Verdict::Retry);
    CHECK(check_range_response(r, 206, "bytes */10000", expect()).verdict == Verdict::Retry);
}

TEST_CASE("totals: the job document's size and changes mid-download", "[core][download_policy]") {
    const ByteRange r{4096, 8191};
    CHECK(
        check_range_response(r, 206, "bytes 4096-8191/20000", expect(true, 10000, true)).verdict ==
        Verdict::Fail);
    CHECK(
        check_range_response(r, 206, "bytes 4096-8191/20000", expect(true, 10000, false)).verdict ==
        Verdict::RestartFromZero);
    CHECK(check_range_response(r, 206, "bytes 4096-8191/70000", expect(false)).verdict ==
          Verdict::Fail); // larger than the slot
}

TEST_CASE("status codes", "[core][download_policy]") {
    const ByteRange r{4096, 8191};
    CHECK(check_range_response(r, 416, "bytes */4000", expect()).verdict ==
          Verdict::RestartFromZero);
    CHECK(check_range_response({0, 4095}, 416, "", expect()).verdict == Verdict::Fail);
    CHECK(check_range_response(r, 403, "", expect()).verdict == Verdict::RefreshUrl);
    for (const int status : {408, 429, 500, 502, 503, 504}) {
        CHECK(check_range_response(r, status, "", expect()).verdict == Verdict::Retry);
    }
    for (const int status : {0, 100, 204, 301, 302, 307, 400, 401, 404, 410, 600}) {
        INFO(status);
        const ResponseCheck c = check_range_response(r, status, "", expect());
        CHECK(c.verdict == Verdict::Fail);
        CHECK_FALSE(c.reason.empty());
    }
}

TEST_CASE("backoff is exponential, capped and jittered within bounds", "[core][download_policy]") {
    DownloadPolicyConfig config;
    config.backoff_initial_ms = 1000;
    config.backoff_max_ms = 60000;
    config.jitter_percent = 20;
    SeededRandom random(42);
    for (std::uint32_t attempt = 1; attempt < 40; ++attempt) {
        std::uint64_t base = 1000;
        for (std::uint32_t i = 1; i < attempt && base < 60000; ++i) {
            base *= 2;
        }
        base = std::min<std::uint64_t>(base, 60000);
        for (int sample = 0; sample < 50; ++sample) {
            const std::uint32_t delay = backoff_delay_ms(config, attempt, random.next());
            INFO("attempt " << attempt << " delay " << delay);
            CHECK(delay >= base - base / 5);
            CHECK(delay <= std::min<std::uint64_t>(base + base / 5, 60000));
        }
    }
    config.jitter_percent = 0;
    CHECK(backoff_delay_ms(config, 1, 12345) == 1000);
    CHECK(backoff_delay_ms(config, 3, 12345) == 4000);
}

TEST_CASE("backoff matches the exact formula at the extremes of its config",
          "[core][download_policy]") {
    // The reference: initial * 2^(attempt-1) capped, +/- delay * percent / 100, capped, in 64 bits.
    const auto reference = [](const DownloadPolicyConfig& config, std::uint32_t attempt,
                              std::uint32_t random) {
        std::uint64_t delay = config.backoff_initial_ms;
        for (std::uint32_t i = 1; i < attempt && delay < config.backoff_max_ms; ++i) {
            delay *= 2;
        }
        delay = std::min<std::uint64_t>(delay, config.backoff_max_ms);
        const std::uint64_t percent = std::min<std::uint32_t>(config.jitter_percent, 100);
        const std::uint64_t spread = delay * percent / 100;
        if (spread > 0) {
            delay = delay - spread + random % (2 * spread + 1);
        }
        return static_cast<std::uint32_t>(std::min<std::uint64_t>(delay, config.backoff_max_ms));
    };
    const std::uint32_t values[] = {0, 1, 99, 100, 1000, 60000, 0x7FFFFFFF, 0x80000000, UINT32_MAX};
    const std::uint32_t percents[] = {0, 1, 20, 99, 100, 250};
    SeededRandom random(3);
    for (const std::uint32_t initial : values) {
        for (const std::uint32_t max : values) {
            for (const std::uint32_t percent : percents) {
                DownloadPolicyConfig config;
                config.backoff_initial_ms = initial;
                config.backoff_max_ms = max;
                config.jitter_percent = percent;
                for (const std::uint32_t attempt : {1u, 2u, 5u, 40u}) {
                    for (const std::uint32_t draw : {0u, UINT32_MAX, random.next()}) {
                        INFO(initial << " " << max << " " << percent << " " << attempt << " "
                                     << draw);
                        CHECK(backoff_delay_ms(config, attempt, draw) ==
                              reference(config, attempt, draw));
                    }
                }
            }
        }
    }
}

TEST_CASE("the seeded generator replays from its seed", "[core][download_policy]") {
    SeededRandom a(7);
    SeededRandom b(7);
    SeededRandom c(8);
    bool differs = false;
    for (int i = 0; i < 100; ++i) {
        const std::uint32_t x = a.next();
        CHECK(x == b.next());
        differs = differs || x != c.next();
    }
    CHECK(differs);
}
