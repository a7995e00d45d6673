// Expectation job_updates: the number of job updates each device published.
#include "scenario/scenario_parser.hpp"

#include "../fake_run.hpp"
#include "../parse_test_support.hpp"

#include <catch2/catch.hpp>

using namespace fota::sim;
using namespace std::chrono_literals;
using fota::sim::test::first_error;
using fota::sim::test::with_expect;

TEST_CASE("expectation job_updates carries its fields and describes itself",
          "[scenario_format][parser][job_updates]") {
    const auto result = parse_scenario(
        with_expect("  - job_updates: {job: j1, status: IN_PROGRESS, count: {max: 2}}\n"),
        "t.yaml");
    INFO(first_error(result));
    REQUIRE(result.ok());
    REQUIRE(result.scenario->expectations.size() == 1);
    const auto& e = result.scenario->expectations[0];
    CHECK(e.kind == Expectation::Kind::job_updates);
    CHECK(e.update_status == ExecutionStatus::in_progress);
    CHECK(e.count.max == 2u);
    CHECK(describe(e) ==
          "job_updates: all devices sent <= 2 updates with status IN_PROGRESS for job j1");
}

TEST_CASE("expectation job_updates counts the updates each device published",
          "[scenario_format][check][job_updates]") {
    test::FakeRun run(
        test::with_expect("  - job_updates: {job: j1, status: IN_PROGRESS, count: {max: 2}}\n"));
    for (int i = 0; i < 3; ++i) {
        run.event("dev-0", "mqtt_published",
                  R"($aws/things/dev-0/jobs/j1/update {"status":"IN_PROGRESS"})");
    }
    run.event("dev-1", "mqtt_published", R"($aws/things/dev-1/jobs/j1/update {"status":"FAILED"})");
    const auto check = run.check();
    CHECK_FALSE(check.passed);
    CHECK(check.expected == "job updates of j1 with status IN_PROGRESS published <= 2");
    CHECK(check.observed == "dev-0: 3 updates");
}
