// Step delete_job: the job, or its executions on some devices.
#include "scenario/scenario_parser.hpp"

#include "../parse_test_support.hpp"

#include <catch2/catch.hpp>

using namespace fota::sim;
using namespace std::chrono_literals;
using fota::sim::test::first_error;
using fota::sim::test::with_steps;

TEST_CASE("step delete_job carries its fields into the model",
          "[scenario_format][parser][delete_job]") {
    const auto result = parse_scenario(with_steps(R"(  - create_job: {id: j1, firmware: v2}
  - delete_job: {job: j1}
)"),
                                       "t.yaml");
    INFO(first_error(result));
    REQUIRE(result.ok());
    const auto& remove = std::get<DeleteJobStep>(result.scenario->steps[1].action);
    CHECK(remove.job_id == "j1");
    CHECK_FALSE(remove.force);
    CHECK_FALSE(remove.devices.has_value());
}

TEST_CASE("step delete_job needs a job created earlier", "[scenario_format][parser][delete_job]") {
    const auto result = parse_scenario(with_steps("  - delete_job: {job: j2}\n"), "t.yaml");
    REQUIRE_FALSE(result.ok());
    CHECK(result.errors[0].message ==
          "'job' in step 'delete_job' names job 'j2', which no earlier create_job step creates");
}
