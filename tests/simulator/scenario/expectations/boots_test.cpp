// Expectation boots: the number of boots per device.
#include "scenario/scenario_parser.hpp"

#include "../fake_run.hpp"
#include "../parse_test_support.hpp"

#include <catch2/catch.hpp>

using namespace fota::sim;
using namespace std::chrono_literals;
using fota::sim::test::first_error;
using fota::sim::test::with_expect;

TEST_CASE("expectation boots carries its count and describes itself",
          "[scenario_format][parser][boots]") {
    const auto result = parse_scenario(with_expect("  - boots: {count: 2}\n"), "t.yaml");
    INFO(first_error(result));
    REQUIRE(result.ok());
    REQUIRE(result.scenario->expectations.size() == 1);
    const auto& e = result.scenario->expectations[0];
    CHECK(e.kind == Expectation::Kind::boots);
    CHECK(e.count.min == 2u);
    CHECK(e.count.max == 2u);
    CHECK(describe(e) == "boots: all devices booted = 2 times");
}

TEST_CASE("expectation boots needs a count", "[scenario_format][parser][boots]") {
    const auto result = parse_scenario(with_expect("  - boots: {devices: all}\n"), "t.yaml");
    REQUIRE_FALSE(result.ok());
    CHECK(result.errors[0].message == "expectation 'boots' is missing the required key 'count'");
}

TEST_CASE("expectation boots compares each device's boot count",
          "[scenario_format][check][boots]") {
    test::FakeRun run(test::with_off_device(test::with_expect("  - boots: {count: 2}\n")));
    for (std::size_t i = 0; i < 3; ++i) {
        run.device(i).answer.boots = i == 1 ? 1 : 2;
    }
    const auto check = run.check();
    CHECK_FALSE(check.passed);
    CHECK(check.expected == "boots 2");
    CHECK(check.observed == "dev-1: 1 boots; off-0: 0 boots"); // an off device never booted
}
