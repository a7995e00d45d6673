// Step wait_for: a condition and a timeout.
#include "scenario/scenario_parser.hpp"

#include "../parse_test_support.hpp"

#include <catch2/catch.hpp>

using namespace fota::sim;
using namespace std::chrono_literals;
using fota::sim::test::first_error;
using fota::sim::test::with_steps;

TEST_CASE("step wait_for carries its condition tree into the model",
          "[scenario_format][parser][wait_for]") {
    const auto result = parse_scenario(with_steps(R"(  - create_job: {id: j1, firmware: v2}
  - wait_for:
      condition: {any_of: [{execution_status: {job: j1, status: [FAILED, SUCCEEDED]}}, {downloaded_bytes: {at_least: 1KiB}}]}
      timeout: 90s
)"),
                                       "t.yaml");
    INFO(first_error(result));
    REQUIRE(result.ok());
    const auto& wait = std::get<WaitForStep>(result.scenario->steps[1].action);
    CHECK(wait.timeout == 90s);
    CHECK(wait.condition.kind == Condition::Kind::any_of);
    REQUIRE(wait.condition.children.size() == 2);
    CHECK(wait.condition.children[0].statuses ==
          std::vector<ExecutionStatus>{ExecutionStatus::failed, ExecutionStatus::succeeded});
    CHECK(wait.condition.children[1].bytes == 1024u);
}
