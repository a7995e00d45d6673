#include "fota/vectors.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace {
std::vector<std::string>* collected = nullptr;
void collect(const char* line) {
    collected->emplace_back(line);
}
} // namespace

TEST_CASE("every portable vector passes on the host", "[core][vectors]") {
    std::vector<std::string> lines;
    collected = &lines;
    const fota::vectors::Report report = fota::vectors::run_all(collect);
    collected = nullptr;
    for (const std::string& line : lines) {
        INFO(line);
        CHECK(line.rfind("PASS ", 0) == 0);
    }
    REQUIRE(report.passed > 0);
    REQUIRE(report.failed == 0);
    REQUIRE(static_cast<int>(lines.size()) == report.passed + report.failed);
}
