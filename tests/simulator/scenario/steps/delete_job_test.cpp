// Step delete_job: the job, or its executions on some devices.
#include "scenario/scenario_parser.hpp"

#include "../fake_run.hpp"
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

TEST_CASE("step delete_job deletes the job, or the selected devices' current executions",
          "[scenario_format][run][delete_job]") {
    test::FakeRun run(
        test::after_job(R"(  - delete_job: {job: j1, devices: [dev-0, dev-1], force: true}
  - delete_job: {job: j1}
)"));
    run.fake_stack().reply = [](const std::string& op, const nlohmann::json& args) {
        if (op == "describe_job_execution" && args["thingName"] == "dev-0") {
            return nlohmann::json{{"execution", {{"status", "QUEUED"}, {"executionNumber", 2}}}};
        }
        return op == "describe_job_execution" ? nlohmann::json{{"__error", "not found"}}
                                              : nlohmann::json::object();
    };
    REQUIRE(run.run_steps());
    std::vector<std::string> ops;
    for (const auto& call : run.fake_stack().calls) {
        ops.push_back(call.op);
    }
    CHECK(ops == std::vector<std::string>{"create_job", "describe_job_execution",
                                          "describe_job_execution", "delete_job_execution",
                                          "delete_job"});
    // Only dev-0 has an execution.
    CHECK(run.fake_stack().calls[3].args ==
          nlohmann::json{
              {"jobId", "j1"}, {"thingName", "dev-0"}, {"executionNumber", 2}, {"force", true}});
    CHECK(run.fake_stack().calls[4].args == nlohmann::json{{"jobId", "j1"}, {"force", false}});
}
