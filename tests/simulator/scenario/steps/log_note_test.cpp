// Step log_note: a line in the run's log.
#include "scenario/scenario_parser.hpp"

#include "../fake_run.hpp"
#include "../parse_test_support.hpp"

#include <catch2/catch.hpp>

using namespace fota::sim;
using fota::sim::test::first_error;
using fota::sim::test::with_steps;

TEST_CASE("step log_note needs its text", "[scenario_format][parser][log_note]") {
    const auto result = parse_scenario(with_steps("  - log_note: {}\n"), "t.yaml");
    REQUIRE_FALSE(result.ok());
    CHECK(result.errors[0].message.find("'text'") != std::string::npos);
}

TEST_CASE("step log_note writes its line into the run's log", "[scenario_format][run][log_note]") {
    test::FakeRun run(test::with_only_steps("  - log_note: {text: swap next}\n"));
    REQUIRE(run.run_steps());
    CHECK(run.recorder().log() == "note (line 9): swap next\n");
}
