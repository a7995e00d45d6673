// Expectation slot: what a flash slot holds.
#include "scenario/scenario_parser.hpp"

#include "../fake_run.hpp"
#include "../parse_test_support.hpp"

#include <catch2/catch.hpp>

using namespace fota::sim;
using namespace std::chrono_literals;
using fota::sim::test::first_error;
using fota::sim::test::with_expect;

TEST_CASE("expectation slot carries its fields and describes itself",
          "[scenario_format][parser][slot]") {
    const auto result =
        parse_scenario(with_expect("  - slot: {slot: secondary, contains: erased}\n"), "t.yaml");
    INFO(first_error(result));
    REQUIRE(result.ok());
    REQUIRE(result.scenario->expectations.size() == 1);
    const auto& e = result.scenario->expectations[0];
    CHECK(e.kind == Expectation::Kind::slot);
    CHECK(e.slot == Slot::secondary);
    CHECK(e.slot_erased);
    CHECK(describe(e) == "slot: secondary slot of all devices holds nothing (erased)");
}

TEST_CASE("expectation slot needs a firmware id or erased", "[scenario_format][parser][slot]") {
    const auto result =
        parse_scenario(with_expect("  - slot: {slot: primary, contains: v3}\n"), "t.yaml");
    REQUIRE_FALSE(result.ok());
    CHECK(result.errors[0].message ==
          "'contains' in expectation 'slot' (a firmware id or 'erased') names firmware 'v3', which "
          "the 'firmware' map does not define; defined: v1, v2");
}

TEST_CASE("expectation slot compares a slot's bytes with the firmware images",
          "[scenario_format][check][slot]") {
    test::FakeRun run(test::with_expect(R"(  - slot: {slot: primary, contains: v2}
  - slot: {slot: secondary, contains: erased}
)"));
    const auto& flash = run.devices()[0].flash;
    for (std::size_t i = 0; i < 3; ++i) {
        std::string& bytes = run.device(i).flash;
        bytes.assign(flash.secondary_offset + flash.slot_size, '\xFF');
        const std::string& image = run.images().bytes.at(i == 1 ? "v1" : "v2");
        bytes.replace(flash.primary_offset, image.size(), image);
    }
    run.device(2).flash[flash.secondary_offset + 5] = 0;
    auto check = run.check(0);
    CHECK_FALSE(check.passed);
    CHECK(check.expected == "primary slot holds v2");
    CHECK(check.observed == "dev-1: v1"); // names the image it holds
    check = run.check(1);
    CHECK_FALSE(check.passed);
    CHECK(check.expected == "secondary slot holds nothing (erased)");
    CHECK(check.observed == "dev-2: not erased");
}
