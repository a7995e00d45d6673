// Expectation shadow_version: the version each device's shadow reports.
#include "scenario/scenario_parser.hpp"

#include "../fake_run.hpp"
#include "../parse_test_support.hpp"

#include <catch2/catch.hpp>

using namespace fota::sim;
using namespace std::chrono_literals;
using fota::sim::test::first_error;
using fota::sim::test::with_expect;

TEST_CASE("expectation shadow_version carries its version and describes itself",
          "[scenario_format][parser][shadow_version]") {
    const auto result = parse_scenario(
        with_expect("  - shadow_version: {version: 1.0.0, name: reported}\n"), "t.yaml");
    INFO(first_error(result));
    REQUIRE(result.ok());
    REQUIRE(result.scenario->expectations.size() == 1);
    const auto& e = result.scenario->expectations[0];
    CHECK(e.kind == Expectation::Kind::shadow_version);
    CHECK(e.version == "1.0.0");
    CHECK(e.name == "reported");
    CHECK(describe(e) == "reported");
}

TEST_CASE("expectation shadow_version without a name describes itself",
          "[scenario_format][parser][shadow_version]") {
    const auto result =
        parse_scenario(with_expect("  - shadow_version: {version: 1.0.0}\n"), "t.yaml");
    INFO(first_error(result));
    REQUIRE(result.ok());
    REQUIRE(result.scenario->expectations.size() == 1);
    const auto& e = result.scenario->expectations[0];
    CHECK(e.kind == Expectation::Kind::shadow_version);
    CHECK(describe(e) == "shadow_version: all devices report 1.0.0 in the shadow");
}

TEST_CASE("expectation shadow_version reads the version each device's shadow reports",
          "[scenario_format][check][shadow_version]") {
    test::FakeRun run(test::with_expect("  - shadow_version: {version: 2.0.0}\n"));
    run.fake_stack().reply = [](const std::string& op, const nlohmann::json& args) {
        CHECK(op == "get_thing_shadow");
        if (args["thingName"] == "dev-2") {
            return nlohmann::json{{"__error", "no shadow"}};
        }
        // The default profile's key (fota::Profile::shadow_version_key).
        return nlohmann::json{
            {"state",
             {{"reported",
               {{"nrf_cloud_app_fw_version", args["thingName"] == "dev-0" ? "2.0.0" : "1.0.0"}}}}}};
    };
    const auto check = run.check();
    CHECK_FALSE(check.passed);
    CHECK(check.expected == "shadow reports 2.0.0");
    CHECK(check.observed == "dev-1: 1.0.0; dev-2: no shadow");
}
