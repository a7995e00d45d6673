// The table of step kinds: names the parser accepts and lists, and step_name() for each kind.
#include "scenario/scenario_parser.hpp"
#include "scenario/steps/step_kinds.hpp"

#include "../parse_test_support.hpp"

#include <catch2/catch.hpp>

using namespace fota::sim;
using fota::sim::test::with_steps;

TEST_CASE("an unknown step kind is refused with the table's names",
          "[scenario_format][parser][step_kinds]") {
    const auto result = parse_scenario(with_steps("  - reboto: {}\n"), "t.yaml");
    REQUIRE_FALSE(result.ok());
    std::string names;
    for (const auto& kind : step_kinds()) {
        names += (names.empty() ? "" : ", ") + std::string(kind.name);
    }
    CHECK(result.errors[0].message.find(names) != std::string::npos);
    CHECK(step_kinds().size() == std::variant_size_v<StepAction>);
    CHECK(find_step_kind("reboot") != nullptr);
    CHECK(find_step_kind("reboto") == nullptr);
}
