// Step cloud_fault: faults of the cloud side of the Jobs protocol.
#include "scenario/scenario_parser.hpp"

#include "../fake_run.hpp"
#include "../parse_test_support.hpp"

#include <catch2/catch.hpp>

using namespace fota::sim;
using namespace std::chrono_literals;
using fota::sim::test::after_job;
using fota::sim::test::first_error;

TEST_CASE("step cloud_fault carries its fields into the model",
          "[scenario_format][parser][cloud_fault]") {
    const auto result = parse_scenario(
        after_job(
            R"(  - cloud_fault: {kind: reject_next_update, code: TerminalStateReached, devices: [dev-2]}
  - cloud_fault: {kind: delay_reply, delay: 2s, topic_suffix: update/accepted}
)"),
        "t.yaml");
    INFO(first_error(result));
    REQUIRE(result.ok());
    const auto& cloud = std::get<CloudFaultStep>(result.scenario->steps[1].action);
    CHECK(cloud.code == RejectCode::terminal_state_reached);
    CHECK(cloud.devices.things == std::vector<std::string>{"dev-2"});
    const auto& delay = std::get<CloudFaultStep>(result.scenario->steps[2].action);
    CHECK(delay.kind == CloudFaultStep::Kind::delay_reply);
    CHECK(delay.delay == 2s);
    CHECK(delay.topic_suffix == "update/accepted");
}

TEST_CASE("step cloud_fault arms the fault in the cloud for each selected device",
          "[scenario_format][run][cloud_fault]") {
    test::FakeRun run(test::with_only_steps(
        R"(  - cloud_fault: {kind: reject_next_update, code: TerminalStateReached, devices: [dev-2]}
  - cloud_fault: {kind: delay_reply, delay: 1500ms, topic_suffix: start-next/accepted, devices: dev-0}
)"));
    REQUIRE(run.run_steps());
    const auto& calls = run.fake_stack().calls;
    REQUIRE(calls.size() == 2);
    CHECK(calls[0].op == "reject_next_update");
    CHECK(calls[0].args ==
          nlohmann::json{{"thingName", "dev-2"}, {"code", "TerminalStateReached"}});
    CHECK(calls[1].op == "delay_next_reply");
    // Whole seconds, rounded up.
    CHECK(calls[1].args == nlohmann::json{{"thingName", "dev-0"},
                                          {"seconds", 2},
                                          {"topicSuffix", "start-next/accepted"}});
}
