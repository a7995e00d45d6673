// Step wait_for: a condition and a timeout.
#include "scenario/scenario_parser.hpp"

#include "../fake_run.hpp"
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

TEST_CASE("step wait_for goes on once its condition holds", "[scenario_format][run][wait_for]") {
    test::FakeRun run(test::with_only_steps(
        "  - wait_for: {condition: {running_version: {version: 1.0.0}}, timeout: 1s}\n"));
    REQUIRE(run.run_steps());
    CHECK(run.pauses == 0);
    CHECK(run.results.empty());
}

TEST_CASE("step wait_for fails after its timeout with expected and observed",
          "[scenario_format][run][wait_for]") {
    test::FakeRun run(test::with_only_steps(
        "  - wait_for: {condition: {running_version: {version: 2.0.0}}, timeout: 1s}\n"));
    run.device(1).answer.running_version = "2.0.0";
    CHECK_FALSE(run.run_steps());
    CHECK(run.fake_stack().clock == 1000ms);
    REQUIRE(run.results.size() == 1);
    CHECK(run.results[0].name == "wait_for running 2.0.0 (line 9)");
    CHECK_FALSE(run.results[0].passed);
    CHECK(run.results[0].expected == "running 2.0.0 within 1000 ms");
    CHECK(run.results[0].observed == "dev-0: 1.0.0; dev-2: 1.0.0");
    CHECK(run.results[0].line == 9);
}
