// Expectation phases: the phases reached, and not reached.
#include "scenario/scenario_parser.hpp"

#include "../fake_run.hpp"
#include "../parse_test_support.hpp"

#include <catch2/catch.hpp>

using namespace fota::sim;
using namespace std::chrono_literals;
using fota::sim::test::first_error;
using fota::sim::test::with_expect;

TEST_CASE("expectation phases carries its lists and describes itself",
          "[scenario_format][parser][phases]") {
    const auto result = parse_scenario(
        with_expect(
            "  - phases: {devices: dev-2, reached: [confirmed], not_reached: [rolled_back]}\n"),
        "t.yaml");
    INFO(first_error(result));
    REQUIRE(result.ok());
    REQUIRE(result.scenario->expectations.size() == 1);
    const auto& e = result.scenario->expectations[0];
    CHECK(e.kind == Expectation::Kind::phases);
    CHECK(e.reached == std::vector<DevicePhase>{DevicePhase::confirmed});
    CHECK(e.not_reached == std::vector<DevicePhase>{DevicePhase::rolled_back});
    CHECK(describe(e) == "phases: dev-2 +confirmed -rolled_back");
}

TEST_CASE("expectation phases needs one of its lists", "[scenario_format][parser][phases]") {
    const auto result = parse_scenario(with_expect("  - phases: {devices: all}\n"), "t.yaml");
    REQUIRE_FALSE(result.ok());
    CHECK(result.errors[0].message ==
          "expectation 'phases' needs 'reached', 'not_reached' or both");
}

TEST_CASE("expectation phases compares the phases each device reached",
          "[scenario_format][check][phases]") {
    test::FakeRun run(test::with_expect(
        "  - phases: {devices: dev-0, reached: [connected], not_reached: [downloading]}\n"));
    auto check = run.check();
    CHECK_FALSE(check.passed);
    CHECK(check.expected == "phases reached: connected; not reached: downloading");
    CHECK(check.observed == "dev-0: missing connected");
    run.event("dev-0", "mqtt_connected");
    CHECK(run.check().passed);
    run.event("dev-0", "download_first_byte");
    check = run.check();
    CHECK_FALSE(check.passed);
    CHECK(check.observed == "dev-0: reached downloading");
}
