// Expectation downloads: attempts, Range requests and bytes per device.
#include "scenario/scenario_parser.hpp"

#include "../fake_run.hpp"
#include "../parse_test_support.hpp"

#include <catch2/catch.hpp>

using namespace fota::sim;
using namespace std::chrono_literals;
using fota::sim::test::first_error;
using fota::sim::test::with_expect;

TEST_CASE("expectation downloads carries its ranges and describes itself",
          "[scenario_format][parser][downloads]") {
    const auto result = parse_scenario(with_expect("  - downloads: {attempts: {min: 1, max: 3}, "
                                                   "range_requests: 2, bytes: {min: 100KiB}}\n"),
                                       "t.yaml");
    INFO(first_error(result));
    REQUIRE(result.ok());
    REQUIRE(result.scenario->expectations.size() == 1);
    const auto& e = result.scenario->expectations[0];
    CHECK(e.kind == Expectation::Kind::downloads);
    CHECK(e.download_attempts.min == 1u);
    CHECK(e.download_attempts.max == 3u);
    CHECK(e.range_requests.min == 2u);
    CHECK(e.bytes.min == 102400u);
    CHECK_FALSE(e.bytes.max.has_value());
    CHECK(describe(e) ==
          "downloads: all devices, attempts >= 1 and <= 3, range requests = 2, bytes >= 102400");
}

TEST_CASE("expectation downloads counts attempts from events, requests and bytes from status",
          "[scenario_format][check][downloads]") {
    test::FakeRun run(test::with_expect(
        "  - downloads: {attempts: 1, bytes: 100KiB, range_requests: {min: 1}}\n"));
    for (std::size_t i = 0; i < 3; ++i) {
        run.event("dev-" + std::to_string(i), "download_started");
        run.device(i).answer.download_bytes = 100 * 1024;
        run.device(i).answer.http_requests = 1;
    }
    CHECK(run.check().passed);
    run.event("dev-2", "download_resume");
    const auto check = run.check();
    CHECK_FALSE(check.passed);
    CHECK(check.expected == "download attempts 1, range requests >= 1, bytes 102400");
    CHECK(check.observed == "dev-2: attempts 2, range requests 1, bytes 102400");
}
