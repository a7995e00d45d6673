// Expectation slot: what a flash slot holds.
#include "scenario/scenario_parser.hpp"

#include "../parse_test_support.hpp"

#include <catch2/catch.hpp>

using namespace fota::sim;
using namespace std::chrono_literals;
using fota::sim::test::first_error;
using fota::sim::test::with_expect;

TEST_CASE("expectation slot carries its fields and describes itself",
          "[scenario_format][parser][slot]") {
    const auto result =
        parse_scenario(with_expect("  - slot: {slot: secondary, contains: erased}\n"), "t.yaml");
    INFO(first_error(result));
    REQUIRE(result.ok());
    REQUIRE(result.scenario->expectations.size() == 1);
    const auto& e = result.scenario->expectations[0];
    CHECK(e.kind == Expectation::Kind::slot);
    CHECK(e.slot == Slot::secondary);
    CHECK(e.slot_erased);
    CHECK(describe(e) == "slot: secondary slot of all devices holds nothing (erased)");
}

TEST_CASE("expectation slot needs a firmware id or erased", "[scenario_format][parser][slot]") {
    const auto result =
        parse_scenario(with_expect("  - slot: {slot: primary, contains: v3}\n"), "t.yaml");
    REQUIRE_FALSE(result.ok());
    CHECK(result.errors[0].message ==
          "'contains' in expectation 'slot' (a firmware id or 'erased') names firmware 'v3', which "
          "the 'firmware' map does not define; defined: v1, v2");
}
