// Step network_fault: device-side network faults.
#include "scenario/scenario_parser.hpp"

#include "../fake_run.hpp"
#include "../parse_test_support.hpp"

#include <catch2/catch.hpp>

using namespace fota::sim;
using namespace std::chrono_literals;
using fota::sim::test::after_job;
using fota::sim::test::first_error;
using fota::sim::test::with_steps;

TEST_CASE("step network_fault carries its fields into the model",
          "[scenario_format][parser][network_fault]") {
    const auto result = parse_scenario(
        after_job(
            R"(  - network_fault: {kind: stall_http, duration: 3s, at_download_byte: 4KiB, devices: dev-0}
  - network_fault: {kind: lose_next_message, topic_suffix: update/accepted}
)"),
        "t.yaml");
    INFO(first_error(result));
    REQUIRE(result.ok());
    const auto& stall = std::get<NetworkFaultStep>(result.scenario->steps[1].action);
    CHECK(stall.kind == NetworkFaultStep::Kind::stall_http);
    CHECK(stall.duration == 3s);
    CHECK(stall.at_download_byte == 4096u);
    CHECK(stall.devices.things == std::vector<std::string>{"dev-0"});
    const auto& lose = std::get<NetworkFaultStep>(result.scenario->steps[2].action);
    CHECK(lose.kind == NetworkFaultStep::Kind::lose_next_message);
    CHECK(lose.topic_suffix == "update/accepted");
    CHECK(lose.devices.all);
}

TEST_CASE("step network_fault offline needs a duration",
          "[scenario_format][parser][network_fault]") {
    const auto result =
        parse_scenario(with_steps("  - network_fault: {kind: offline}\n"), "t.yaml");
    REQUIRE_FALSE(result.ok());
    CHECK(result.errors[0].message ==
          "network_fault 'offline' is missing the required key 'duration'");
}

TEST_CASE("step network_fault faults each started device's network",
          "[scenario_format][run][network_fault]") {
    test::FakeRun run(test::with_off_device(test::with_only_steps(
        R"(  - network_fault: {kind: drop_mqtt, at_download_byte: 1KiB}
  - network_fault: {kind: offline, devices: dev-1, duration: 5s}
  - network_fault: {kind: stall_http, devices: dev-2, duration: 2s}
  - network_fault: {kind: lose_next_message, devices: dev-0, topic_suffix: notify-next}
)")));
    REQUIRE(run.run_steps());
    CHECK(run.device(0).calls == std::vector<std::string>{"drop_mqtt_at_download_byte 1024",
                                                          "lose_next_message notify-next"});
    CHECK(run.device(1).calls ==
          std::vector<std::string>{"drop_mqtt_at_download_byte 1024", "go_offline 5000"});
    CHECK(run.device(2).calls ==
          std::vector<std::string>{"drop_mqtt_at_download_byte 1024", "stall_http_for 2000"});
    CHECK(run.device(3).calls.empty()); // off
}
