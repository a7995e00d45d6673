// Step cancel_job: the job, or its executions on some devices.
#include "scenario/scenario_parser.hpp"

#include "../fake_run.hpp"
#include "../parse_test_support.hpp"

#include <catch2/catch.hpp>

using namespace fota::sim;
using namespace std::chrono_literals;
using fota::sim::test::first_error;
using fota::sim::test::with_steps;

TEST_CASE("step cancel_job carries its fields into the model",
          "[scenario_format][parser][cancel_job]") {
    const auto result = parse_scenario(with_steps(R"(  - create_job: {id: j1, firmware: v2}
  - cancel_job: {job: j1, force: yes, devices: dev-0}
)"),
                                       "t.yaml");
    INFO(first_error(result));
    REQUIRE(result.ok());
    const auto& steps = result.scenario->steps;
    const auto& cancel = std::get<CancelJobStep>(steps[1].action);
    CHECK(cancel.force);
    REQUIRE(cancel.devices.has_value());
    CHECK(cancel.devices->things == std::vector<std::string>{"dev-0"});
    CHECK(std::string(step_name(steps[1].action)) == "cancel_job");
}

TEST_CASE("step cancel_job cancels the job, or the selected devices' executions",
          "[scenario_format][run][cancel_job]") {
    test::FakeRun run(test::after_job(R"(  - cancel_job: {job: j1, force: true}
  - cancel_job: {job: j1, devices: dev-1}
)"));
    REQUIRE(run.run_steps());
    const auto& calls = run.fake_stack().calls;
    REQUIRE(calls.size() == 3); // create_job first
    CHECK(calls[1].op == "cancel_job");
    CHECK(calls[1].args == nlohmann::json{{"jobId", "j1"}, {"force", true}});
    CHECK(calls[2].op == "cancel_job_execution");
    CHECK(calls[2].args ==
          nlohmann::json{{"jobId", "j1"}, {"thingName", "dev-1"}, {"force", false}});
}
