// Expectation running_version: the version each device runs, confirmed or not.
#include "scenario/scenario_parser.hpp"

#include "../parse_test_support.hpp"

#include <catch2/catch.hpp>

using namespace fota::sim;
using namespace std::chrono_literals;
using fota::sim::test::first_error;
using fota::sim::test::with_expect;

TEST_CASE("expectation running_version carries its fields and describes itself",
          "[scenario_format][parser][running_version]") {
    const auto result = parse_scenario(
        with_expect(
            "  - running_version: {devices: [dev-0, dev-1], version: 2.0.0, confirmed: false}\n"),
        "t.yaml");
    INFO(first_error(result));
    REQUIRE(result.ok());
    REQUIRE(result.scenario->expectations.size() == 1);
    const auto& e = result.scenario->expectations[0];
    CHECK(e.kind == Expectation::Kind::running_version);
    CHECK(e.version == "2.0.0");
    CHECK(e.confirmed == false);
    CHECK(describe(e) == "running_version: 2 devices (dev-0, ...) run 2.0.0, not confirmed");
}

TEST_CASE("expectation running_version needs a version of the scenario",
          "[scenario_format][parser][running_version]") {
    const auto result =
        parse_scenario(with_expect("  - running_version: {version: 3.0.0}\n"), "t.yaml");
    REQUIRE_FALSE(result.ok());
    CHECK(result.errors[0].message ==
          "'version' in expectation 'running_version' is '3.0.0', which is not the version of any "
          "firmware in the scenario; versions: 1.0.0, 2.0.0");
}
