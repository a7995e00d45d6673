// Step flash_fault: each kind takes its own keys.
#include "scenario/scenario_parser.hpp"

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
