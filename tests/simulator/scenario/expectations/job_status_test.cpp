// Expectation job_status: the job's status.
#include "scenario/scenario_parser.hpp"

#include "../fake_run.hpp"
#include "../parse_test_support.hpp"

#include <catch2/catch.hpp>

using namespace fota::sim;
using namespace std::chrono_literals;
using fota::sim::test::first_error;
using fota::sim::test::with_expect;

TEST_CASE("expectation job_status carries its status and describes itself",
          "[scenario_format][parser][job_status]") {
    const auto result =
        parse_scenario(with_expect("  - job_status: {job: j1, status: CANCELED}\n"), "t.yaml");
    INFO(first_error(result));
    REQUIRE(result.ok());
    REQUIRE(result.scenario->expectations.size() == 1);
    const auto& e = result.scenario->expectations[0];
    CHECK(e.kind == Expectation::Kind::job_status);
    CHECK(e.job_status == JobStatus::canceled);
    CHECK(describe(e) == "job_status: job j1 is CANCELED");
}

TEST_CASE("expectation job_status takes no devices", "[scenario_format][parser][job_status]") {
    const auto result = parse_scenario(
        with_expect("  - job_status: {job: j1, status: COMPLETED, devices: all}\n"), "t.yaml");
    REQUIRE_FALSE(result.ok());
    CHECK(
        result.errors[0].message ==
        "unknown key 'devices' in expectation 'job_status'; valid keys: name, within, job, status");
}

TEST_CASE("expectation job_status reads the job's status", "[scenario_format][check][job_status]") {
    test::FakeRun run(test::with_expect("  - job_status: {job: j1, status: COMPLETED}\n"));
    std::string status = "IN_PROGRESS";
    run.fake_stack().reply = [&status](const std::string& op, const nlohmann::json& args) {
        CHECK(op == "describe_job");
        CHECK(args == nlohmann::json{{"jobId", "j1"}});
        return nlohmann::json{{"job", {{"status", status}}}};
    };
    auto check = run.check();
    CHECK_FALSE(check.passed);
    CHECK(check.expected == "job j1 COMPLETED");
    CHECK(check.observed == "job j1: IN_PROGRESS");
    status = "COMPLETED";
    check = run.check();
    CHECK(check.passed);
    CHECK(check.observed == "COMPLETED");
}
