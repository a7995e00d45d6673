// Expectation no_execution_in_progress: no execution is left IN_PROGRESS.
#include "scenario/scenario_parser.hpp"

#include "../parse_test_support.hpp"

#include <catch2/catch.hpp>

using namespace fota::sim;
using namespace std::chrono_literals;
using fota::sim::test::first_error;
using fota::sim::test::with_expect;

TEST_CASE("expectation no_execution_in_progress describes itself with and without a job",
          "[scenario_format][parser][no_execution_in_progress]") {
    const auto result =
        parse_scenario(with_expect("  - no_execution_in_progress: {job: j1}\n"), "t.yaml");
    INFO(first_error(result));
    REQUIRE(result.ok());
    REQUIRE(result.scenario->expectations.size() == 1);
    const auto& e = result.scenario->expectations[0];
    CHECK(e.kind == Expectation::Kind::no_execution_in_progress);
    CHECK(e.job == "j1");
    CHECK(describe(e) == "no_execution_in_progress: no execution of job j1 left IN_PROGRESS");
}

TEST_CASE("expectation no_execution_in_progress takes no value",
          "[scenario_format][parser][no_execution_in_progress]") {
    const auto result = parse_scenario(with_expect("  - no_execution_in_progress:\n"), "t.yaml");
    INFO(first_error(result));
    REQUIRE(result.ok());
    REQUIRE(result.scenario->expectations.size() == 1);
    const auto& e = result.scenario->expectations[0];
    CHECK(e.kind == Expectation::Kind::no_execution_in_progress);
    CHECK(describe(e) == "no_execution_in_progress: no execution left IN_PROGRESS");
}
