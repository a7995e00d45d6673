// Expectation running_version: the version each device runs, confirmed or not.
#include "scenario/scenario_parser.hpp"

#include "../fake_run.hpp"
#include "../parse_test_support.hpp"

#include <catch2/catch.hpp>

using namespace fota::sim;
using namespace std::chrono_literals;
using fota::sim::test::first_error;
using fota::sim::test::with_expect;

TEST_CASE("expectation running_version carries its fields and describes itself",
          "[scenario_format][parser][running_version]") {
    const auto result = parse_scenario(
        with_expect(
            "  - running_version: {devices: [dev-0, dev-1], version: 2.0.0, confirmed: false}\n"),
        "t.yaml");
    INFO(first_error(result));
    REQUIRE(result.ok());
    REQUIRE(result.scenario->expectations.size() == 1);
    const auto& e = result.scenario->expectations[0];
    CHECK(e.kind == Expectation::Kind::running_version);
    CHECK(e.version == "2.0.0");
    CHECK(e.confirmed == false);
    CHECK(describe(e) == "running_version: 2 devices (dev-0, ...) run 2.0.0, not confirmed");
}

TEST_CASE("expectation running_version needs a version of the scenario",
          "[scenario_format][parser][running_version]") {
    const auto result =
        parse_scenario(with_expect("  - running_version: {version: 3.0.0}\n"), "t.yaml");
    REQUIRE_FALSE(result.ok());
    CHECK(result.errors[0].message ==
          "'version' in expectation 'running_version' is '3.0.0', which is not the version of any "
          "firmware in the scenario; versions: 1.0.0, 2.0.0");
}

TEST_CASE("expectation running_version compares versions and confirmation per device",
          "[scenario_format][check][running_version]") {
    test::FakeRun run(test::with_off_device(
        test::with_expect("  - running_version: {version: 2.0.0, confirmed: true}\n")));
    for (std::size_t i = 0; i < 3; ++i) {
        run.device(i).answer.running_version = i == 1 ? "v2.0.0" : "2.0.0"; // the same version
        run.device(i).answer.confirmed = i != 2;
    }
    const auto check = run.check();
    CHECK_FALSE(check.passed);
    CHECK(check.expected == "running 2.0.0 (confirmed)");
    CHECK(check.observed == "dev-2: 2.0.0 (not confirmed); off-0: off");
}

TEST_CASE("expectation running_version ends the run when a device does not answer",
          "[scenario_format][check][running_version]") {
    test::FakeRun run(test::with_expect("  - running_version: {version: 1.0.0}\n"));
    run.device(0).answers = false;
    CHECK_THROWS_WITH(run.check(), "device dev-0 did not answer a status request in 10 s");
}
