// Expectation no_execution_in_progress: no execution is left IN_PROGRESS.
#include "scenario/scenario_parser.hpp"

#include "../fake_run.hpp"
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

TEST_CASE("expectation no_execution_in_progress looks at every job the run created",
          "[scenario_format][check][no_execution_in_progress]") {
    test::FakeRun run(test::with_expect("  - no_execution_in_progress: {}\n"));
    run.note_job("j1");
    run.note_job("j2");
    run.fake_stack().reply = [](const std::string&, const nlohmann::json& args) {
        const bool stuck = args["jobId"] == "j2" && args["thingName"] == "dev-0";
        return nlohmann::json{{"execution", {{"status", stuck ? "IN_PROGRESS" : "SUCCEEDED"}}}};
    };
    const auto check = run.check();
    CHECK_FALSE(check.passed);
    CHECK(check.expected == "no execution IN_PROGRESS");
    CHECK(check.observed == "dev-0 (j2): IN_PROGRESS");
    CHECK(run.fake_stack().calls.size() == 6); // 2 jobs x 3 devices
}
