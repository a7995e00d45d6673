// The table of expectation kinds: names the parser accepts and lists, one per Expectation::Kind.
#include "scenario/expectations/expectation_kinds.hpp"
#include "scenario/scenario_parser.hpp"

#include "../parse_test_support.hpp"

#include <catch2/catch.hpp>

using namespace fota::sim;
using fota::sim::test::with_expect;

TEST_CASE("an unknown expectation kind is refused with the table's names",
          "[scenario_format][parser][expectation_kinds]") {
    const auto result = parse_scenario(with_expect("  - boot: {count: 1}\n"), "t.yaml");
    REQUIRE_FALSE(result.ok());
    std::string names;
    for (const auto& kind : expectation_kinds()) {
        names += (names.empty() ? "" : ", ") + std::string(kind.name);
        CHECK(std::string(to_string(kind.kind)) == kind.name);
    }
    CHECK(result.errors[0].message.find(names) != std::string::npos);
    CHECK(find_expectation_kind("boots") != nullptr);
}
