// Step cloud_fault: faults of the cloud side of the Jobs protocol.
#include "scenario/scenario_parser.hpp"

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
