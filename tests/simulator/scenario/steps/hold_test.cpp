// Step hold: a condition that must stay true for a duration.
#include "scenario/scenario_parser.hpp"

#include "../parse_test_support.hpp"

#include <catch2/catch.hpp>

using namespace fota::sim;
using namespace std::chrono_literals;
using fota::sim::test::after_job;
using fota::sim::test::first_error;
using fota::sim::test::with_steps;

TEST_CASE("step hold carries its condition and duration into the model",
          "[scenario_format][parser][hold]") {
    const auto result = parse_scenario(
        after_job("  - hold: {condition: {running_version: {version: 1.0.0}}, for: 5s}\n"),
        "t.yaml");
    INFO(first_error(result));
    REQUIRE(result.ok());
    const auto& hold = std::get<HoldStep>(result.scenario->steps[1].action);
    CHECK(hold.duration == 5s);
    CHECK(hold.condition.kind == Condition::Kind::running_version);
    CHECK(hold.condition.version == "1.0.0");
}

TEST_CASE("step hold takes 'for', not 'timeout'", "[scenario_format][parser][hold]") {
    const auto result = parse_scenario(
        with_steps("  - hold: {condition: {running_version: {version: 1.0.0}}, timeout: 5s}\n"),
        "t.yaml");
    REQUIRE_FALSE(result.ok());
    CHECK(result.errors[0].message.rfind("unknown key 'timeout' in step 'hold'", 0) == 0);
}
