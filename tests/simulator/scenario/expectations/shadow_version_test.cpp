// Expectation shadow_version: the version each device's shadow reports.
#include "scenario/scenario_parser.hpp"

#include "../parse_test_support.hpp"

#include <catch2/catch.hpp>

using namespace fota::sim;
using namespace std::chrono_literals;
using fota::sim::test::first_error;
using fota::sim::test::with_expect;

TEST_CASE("expectation shadow_version carries its version and describes itself",
          "[scenario_format][parser][shadow_version]") {
    const auto result = parse_scenario(
        with_expect("  - shadow_version: {version: 1.0.0, name: reported}\n"), "t.yaml");
    INFO(first_error(result));
    REQUIRE(result.ok());
    REQUIRE(result.scenario->expectations.size() == 1);
    const auto& e = result.scenario->expectations[0];
    CHECK(e.kind == Expectation::Kind::shadow_version);
    CHECK(e.version == "1.0.0");
    CHECK(e.name == "reported");
    CHECK(describe(e) == "reported");
}

TEST_CASE("expectation shadow_version without a name describes itself",
          "[scenario_format][parser][shadow_version]") {
    const auto result =
        parse_scenario(with_expect("  - shadow_version: {version: 1.0.0}\n"), "t.yaml");
    INFO(first_error(result));
    REQUIRE(result.ok());
    REQUIRE(result.scenario->expectations.size() == 1);
    const auto& e = result.scenario->expectations[0];
    CHECK(e.kind == Expectation::Kind::shadow_version);
    CHECK(describe(e) == "shadow_version: all devices report 1.0.0 in the shadow");
}
