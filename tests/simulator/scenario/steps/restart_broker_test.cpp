// Step restart_broker: the broker stops, and starts again after down_for.
#include "scenario/scenario_parser.hpp"

#include "../fake_run.hpp"
#include "../parse_test_support.hpp"

#include <catch2/catch.hpp>

using namespace fota::sim;
using namespace std::chrono_literals;
using fota::sim::test::after_job;
using fota::sim::test::first_error;

TEST_CASE("step restart_broker carries down_for into the model",
          "[scenario_format][parser][restart_broker]") {
    const auto result = parse_scenario(after_job(R"(  - restart_broker: {down_for: 2s}
  - restart_broker: {}
)"),
                                       "t.yaml");
    INFO(first_error(result));
    REQUIRE(result.ok());
    CHECK(std::get<RestartBrokerStep>(result.scenario->steps[1].action).down_for == 2s);
    CHECK(std::get<RestartBrokerStep>(result.scenario->steps[2].action).down_for == 0s);
}

TEST_CASE("step restart_broker restarts the stack's broker for down_for",
          "[scenario_format][run][restart_broker]") {
    test::FakeRun run(test::with_only_steps("  - restart_broker: {down_for: 2s}\n"));
    REQUIRE(run.run_steps());
    CHECK(run.fake_stack().broker_restarts == std::vector<std::chrono::milliseconds>{2000ms});
}
