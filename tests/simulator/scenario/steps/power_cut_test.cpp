// Step power_cut: now, at a phase, or after a number of downloaded bytes.
#include "scenario/scenario_parser.hpp"

#include "../fake_run.hpp"
#include "../parse_test_support.hpp"

#include <catch2/catch.hpp>

using namespace fota::sim;
using namespace std::chrono_literals;
using fota::sim::test::after_job;
using fota::sim::test::first_error;
using fota::sim::test::with_steps;

TEST_CASE("step power_cut carries its fields into the model",
          "[scenario_format][parser][power_cut]") {
    const auto result = parse_scenario(
        after_job("  - power_cut: {devices: dev-1, after_download_bytes: 10KiB, off_for: 2s}\n"),
        "t.yaml");
    INFO(first_error(result));
    REQUIRE(result.ok());
    const auto& cut = std::get<PowerCutStep>(result.scenario->steps[1].action);
    CHECK(cut.at_phase == DevicePhase::downloading);
    CHECK(cut.after_download_bytes == 10240u);
    CHECK(cut.off_for == 2s);
    CHECK(cut.devices.things == std::vector<std::string>{"dev-1"});
}

TEST_CASE("step power_cut takes after_download_bytes only while downloading",
          "[scenario_format][parser][power_cut]") {
    const auto result = parse_scenario(
        with_steps("  - power_cut: {at_phase: connected, after_download_bytes: 1KiB}\n"), "t.yaml");
    REQUIRE_FALSE(result.ok());
    CHECK(result.errors[0].message ==
          "'after_download_bytes' in step 'power_cut' applies only with at_phase 'downloading' (or "
          "no at_phase)");
}

TEST_CASE("step power_cut cuts now, inside the swap from the seed, or at a phase",
          "[scenario_format][run][power_cut]") {
    test::FakeRun run(test::with_off_device(test::with_only_steps(
                          R"(  - power_cut: {devices: dev-0, off_for: 2s}
  - power_cut: {devices: [dev-1, off-0], at_phase: swapping, off_for: 1s}
  - power_cut: {devices: dev-2, at_phase: connected, off_for: 3s}
)")),
                      5);
    REQUIRE(run.run_steps());
    CHECK(run.device(0).calls == std::vector<std::string>{"cut_power 2000"});
    // The seed 5 and the index among the started devices selected.
    CHECK(run.device(1).calls == std::vector<std::string>{"cut_power_during_swap 1000 seed " +
                                                          std::to_string(5 * 7919 + 1)});
    CHECK(run.device(3).calls.empty()); // off
    CHECK(run.device(2).calls.empty());
    const auto cut = run.event("dev-2", "mqtt_connected");
    REQUIRE(cut);
    CHECK(cut->off_for == 3000ms);
    CHECK(cut->after_download_bytes == 0);
}
