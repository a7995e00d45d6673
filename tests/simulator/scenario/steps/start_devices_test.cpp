// Step start_devices: devices of groups that do not start by themselves.
#include "scenario/scenario_parser.hpp"

#include "../fake_run.hpp"
#include "../parse_test_support.hpp"

#include <catch2/catch.hpp>

using namespace fota::sim;
using namespace std::chrono_literals;
using fota::sim::test::after_job;
using fota::sim::test::first_error;

TEST_CASE("step start_devices selects its devices", "[scenario_format][parser][start_devices]") {
    const auto result = parse_scenario(after_job(R"(  - start_devices: {devices: [dev-1, dev-2]}
  - start_devices: {}
)"),
                                       "t.yaml");
    INFO(first_error(result));
    REQUIRE(result.ok());
    CHECK(std::get<StartDevicesStep>(result.scenario->steps[1].action).devices.things ==
          std::vector<std::string>{"dev-1", "dev-2"});
    CHECK(std::get<StartDevicesStep>(result.scenario->steps[2].action).devices.all);
}

TEST_CASE("step start_devices powers on the selected devices that are off, once",
          "[scenario_format][run][start_devices]") {
    test::FakeRun run(test::with_off_device(
        test::with_only_steps("  - start_devices: {}\n  - start_devices: {devices: off-0}\n")));
    REQUIRE_FALSE(run.devices()[3].started);
    REQUIRE(run.run_steps());
    CHECK(run.devices()[3].started);
    CHECK(run.device(3).calls == std::vector<std::string>{"start"});
    CHECK(run.device(0).calls.empty()); // already on
}
