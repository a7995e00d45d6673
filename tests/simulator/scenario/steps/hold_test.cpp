// Step hold: a condition that must stay true for a duration.
#include "scenario/scenario_parser.hpp"

#include "../fake_run.hpp"
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

TEST_CASE("step hold goes on when its condition held for the duration",
          "[scenario_format][run][hold]") {
    test::FakeRun run(test::with_only_steps(
        "  - hold: {condition: {running_version: {version: 1.0.0}}, for: 1s}\n"));
    REQUIRE(run.run_steps());
    CHECK(run.fake_stack().clock == 1000ms);
    CHECK(run.pauses == 10);
    CHECK(run.results.empty());
}

TEST_CASE("step hold fails the first time its condition does not hold",
          "[scenario_format][run][hold]") {
    test::FakeRun run(test::with_only_steps(
        "  - hold: {condition: {running_version: {version: 1.0.0}}, for: 1s}\n"));
    run.device(2).answer.running_version = "2.0.0";
    CHECK_FALSE(run.run_steps());
    CHECK(run.pauses == 0);
    REQUIRE(run.results.size() == 1);
    CHECK(run.results[0].name == "hold running 1.0.0 (line 9)");
    CHECK(run.results[0].expected == "running 1.0.0 for 1000 ms");
    CHECK(run.results[0].observed == "dev-2: 2.0.0");
}
