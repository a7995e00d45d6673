// Expectation execution_status: a status, and statusDetails fields.
#include "scenario/scenario_parser.hpp"

#include "../fake_run.hpp"
#include "../parse_test_support.hpp"

#include <catch2/catch.hpp>

using namespace fota::sim;
using namespace std::chrono_literals;
using fota::sim::test::first_error;
using fota::sim::test::with_expect;

TEST_CASE("expectation execution_status carries its fields and describes itself",
          "[scenario_format][parser][execution_status]") {
    const auto result = parse_scenario(
        with_expect(
            R"(  - execution_status: {job: j1, devices: dev-1, status: FAILED, status_details: {reason: "*"}, within: 5s}
)"),
        "t.yaml");
    INFO(first_error(result));
    REQUIRE(result.ok());
    REQUIRE(result.scenario->expectations.size() == 1);
    const auto& e = result.scenario->expectations[0];
    CHECK(e.kind == Expectation::Kind::execution_status);
    CHECK(e.job == "j1");
    CHECK(e.execution_status == ExecutionStatus::failed);
    REQUIRE(e.status_details.has_value());
    CHECK((*e.status_details)["reason"] == "*");
    CHECK(e.within == 5s);
    CHECK(describe(e) == "execution_status: job j1 on dev-1 is FAILED with statusDetails "
                         "{\"reason\":\"*\"} within 5s");
}

TEST_CASE("expectation execution_status wants statusDetails as a map",
          "[scenario_format][parser][execution_status]") {
    const auto result = parse_scenario(
        with_expect("  - execution_status: {job: j1, status: FAILED, status_details: [a]}\n"),
        "t.yaml");
    REQUIRE_FALSE(result.ok());
    CHECK(result.errors[0].message == "'status_details' in expectation 'execution_status' must be "
                                      "a map of the fields statusDetails must contain");
}

TEST_CASE("expectation execution_status tallies each device's execution",
          "[scenario_format][check][execution_status]") {
    test::FakeRun run(test::with_expect("  - execution_status: {job: j1, status: SUCCEEDED}\n"));
    run.fake_stack().reply = [](const std::string& op, const nlohmann::json& args) {
        CHECK(op == "describe_job_execution");
        const std::string status = args["thingName"] == "dev-1" ? "FAILED" : "SUCCEEDED";
        return args["thingName"] == "dev-2" ? nlohmann::json{{"__error", "not found"}}
                                            : nlohmann::json{{"execution", {{"status", status}}}};
    };
    const auto check = run.check();
    CHECK_FALSE(check.passed);
    CHECK(check.expected == "execution of j1 SUCCEEDED");
    CHECK(check.observed == "dev-1: FAILED; dev-2: none");
}
