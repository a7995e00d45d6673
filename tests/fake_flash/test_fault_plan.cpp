#include "fota/flash/fault_plan.hpp"
#include "fota/flash/text.hpp"

#include <catch2/catch.hpp>

using namespace fota::flash;

TEST_CASE("fault plans print as one line that parses back to the same plan", "[plan]") {
    const char* lines[] = {
        "none",
        "cut@1:before",
        "cut@57:torn:seed=1234",
        "fail-write@3",
        "fail-erase@0x82000+0x1000",
        ("cut@9:torn:seed=18446744073709551615;fail-write@2;fail-erase@4;flips=1e-06:seed=5;"
         "wear-limit=10000"),
    };
    for (const char* line : lines) {
        auto plan = FaultPlan::parse(line);
        REQUIRE(plan);
        CHECK(plan->to_string() == line);
        CHECK(FaultPlan::parse(plan->to_string()).value() == plan.value());
    }
    auto shorthand = FaultPlan::parse("cut@5");
    REQUIRE(shorthand);
    CHECK(shorthand->to_string() == "cut@5:before");
    CHECK(FaultPlan::cut_torn(3, 4).to_string() == "cut@3:torn:seed=4");
    CHECK(FaultPlan{}.empty());
    CHECK(FaultPlan::parse("none")->empty());
}

TEST_CASE("bad fault plans are refused with the item and the valid forms", "[plan]") {
    const std::pair<const char*, const char*> cases[] = {
        {"", "empty"},
        {"cut@0", ">= 1"},
        {"cut@x", ">= 1"},
        {"cut@3:sideways", "':before'"},
        {"cut@3:torn", "':before'"},
        {"cut@3:torn:seed=", "number"},
        {"cut@1;cut@2", "at most one power cut"},
        {"fail-write@", ">= 1"},
        {"fail-erase@0x1000+0", "LENGTH > 0"},
        {"flips=2:seed=1", "between 0 and 1"},
        {"flips=nan:seed=1", "between 0 and 1"},
        {"flips=0.1", "flips=RATE:seed=S"},
        {"wear-limit=-1", "erase cycles"},
        {"explode@3", "unknown item"},
        {"cut@1;;", "unknown item"},
    };
    for (const auto& [line, reason] : cases) {
        INFO(line);
        auto plan = FaultPlan::parse(line);
        REQUIRE_FALSE(plan);
        CHECK_THAT(plan.error().message, Catch::Contains(reason));
    }
}

TEST_CASE("sizes parse in the forms layouts and the CLI use", "[plan]") {
    CHECK(parse_size("4096").value() == 4096);
    CHECK(parse_size("0x1000").value() == 4096);
    CHECK(parse_size("200KiB").value() == 200 * 1024);
    CHECK(parse_size("4K").value() == 4096);
    CHECK(parse_size("1MiB").value() == 1024 * 1024);
    CHECK(parse_size("0").value() == 0);
    CHECK_FALSE(parse_size(""));
    CHECK_FALSE(parse_size("KiB"));
    CHECK_FALSE(parse_size("12 KiB"));
    CHECK_FALSE(parse_size("4GiB"));
    CHECK_FALSE(parse_size("4096MiB"));
    CHECK_FALSE(parse_size("-1"));
    CHECK(format_size(472 * 1024) == "472KiB");
    CHECK(format_size(1024 * 1024) == "1MiB");
    CHECK(format_size(100) == "100");
    CHECK(parse_size(format_size(0)).value() == 0);
}
