// Expectation boots: the number of boots per device.
#include "scenario/scenario_parser.hpp"

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
