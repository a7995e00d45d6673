// Step flash_fault: each kind takes its own keys.
#include "scenario/scenario_parser.hpp"

#include "../fake_run.hpp"
#include "../parse_test_support.hpp"

#include <catch2/catch.hpp>

using namespace fota::sim;
using namespace std::chrono_literals;
using fota::sim::test::after_job;
using fota::sim::test::first_error;
using fota::sim::test::with_steps;

TEST_CASE("step flash_fault carries its fields into the model",
          "[scenario_format][parser][flash_fault]") {
    const auto result =
        parse_scenario(after_job(R"(  - flash_fault: {kind: power_cut, at_op: 17, torn: true}
  - flash_fault: {kind: wear_out, erase_limit: 100, partition: secondary}
)"),
                       "t.yaml");
    INFO(first_error(result));
    REQUIRE(result.ok());
    const auto& flash = std::get<FlashFaultStep>(result.scenario->steps[1].action);
    CHECK(flash.kind == FlashFaultStep::Kind::power_cut);
    CHECK(flash.at_op == 17u);
    CHECK(flash.torn);
    const auto& wear = std::get<FlashFaultStep>(result.scenario->steps[2].action);
    CHECK(wear.kind == FlashFaultStep::Kind::wear_out);
    CHECK(wear.erase_limit == 100u);
    CHECK(wear.partition == FlashFaultStep::Partition::secondary);
}

TEST_CASE("step flash_fault names the keys of its kind", "[scenario_format][parser][flash_fault]") {
    const auto result = parse_scenario(
        with_steps("  - flash_fault: {kind: power_cut, at_op: 1, rate: 0.5}\n"), "t.yaml");
    REQUIRE_FALSE(result.ok());
    CHECK(result.errors[0].message.rfind("unknown key 'rate' in flash_fault 'power_cut'", 0) == 0);
    CHECK(result.errors[0].message.find("valid keys: kind, devices, at_op, torn, off_for") !=
          std::string::npos);
}

TEST_CASE("step flash_fault arms each device's plan line, seeded per device",
          "[scenario_format][run][flash_fault]") {
    test::FakeRun run(test::with_only_steps(
        R"(  - flash_fault: {kind: fail_write, devices: dev-0, at_op: 3, count: 2}
  - flash_fault: {kind: power_cut, devices: [dev-1, dev-2], at_op: 17, torn: true, off_for: 1s}
)"));
    REQUIRE(run.run_steps());
    CHECK(run.device(0).calls ==
          std::vector<std::string>{"arm_flash_faults fail-write@4;fail-write@5 0"});
    CHECK(run.device(1).calls ==
          std::vector<std::string>{
              "arm_flash_faults cut@18:torn:seed=" + std::to_string(3 * 104'729 + 1) + " 1000"});
    CHECK(run.device(2).calls ==
          std::vector<std::string>{
              "arm_flash_faults cut@18:torn:seed=" + std::to_string(3 * 104'729 + 2) + " 1000"});
}

TEST_CASE("step flash_fault ends the run when a device refuses the plan",
          "[scenario_format][run][flash_fault]") {
    test::FakeRun run(
        test::with_only_steps("  - flash_fault: {kind: fail_erase, devices: dev-1}\n"));
    run.device(1).flash_error = "no such region";
    CHECK_THROWS_WITH(run.run_steps(), "t.yaml:9: flash_fault on dev-1: no such region");
}
