// Step reboot: a clean reboot requested from outside.
#include "scenario/scenario_parser.hpp"

#include "../fake_run.hpp"
#include "../parse_test_support.hpp"

#include <catch2/catch.hpp>

using namespace fota::sim;
using namespace std::chrono_literals;
using fota::sim::test::after_job;
using fota::sim::test::first_error;
using fota::sim::test::with_steps;

TEST_CASE("step reboot selects its devices", "[scenario_format][parser][reboot]") {
    const auto result = parse_scenario(after_job("  - reboot: {devices: dev-0}\n"), "t.yaml");
    INFO(first_error(result));
    REQUIRE(result.ok());
    CHECK(std::get<RebootStep>(result.scenario->steps[1].action).devices.things ==
          std::vector<std::string>{"dev-0"});
}

TEST_CASE("step reboot refuses a device no group defines", "[scenario_format][parser][reboot]") {
    const auto result = parse_scenario(with_steps("  - reboot: {devices: dev-3}\n"), "t.yaml");
    REQUIRE_FALSE(result.ok());
    CHECK(result.errors[0].message ==
          "'devices' in step 'reboot' names device 'dev-3', which no device group defines; "
          "devices: dev-0..dev-2 (or 'all')");
}

TEST_CASE("step reboot reboots the selected devices that are on",
          "[scenario_format][run][reboot]") {
    test::FakeRun run(test::with_off_device(test::with_only_steps("  - reboot: {}\n")));
    REQUIRE(run.run_steps());
    for (std::size_t i = 0; i < 3; ++i) {
        CHECK(run.device(i).calls == std::vector<std::string>{"reboot"});
    }
    CHECK(run.device(3).calls.empty()); // off-0 is off
}
