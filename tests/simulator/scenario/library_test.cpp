// The scenario library (scenarios/*.yaml): every file parses, says what it proves, and the
// library covers what issue 7 asks for.
#include "scenario/scenario_parser.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

using namespace fota::sim;

namespace {

std::vector<std::filesystem::path> library_files() {
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(FOTA_SCENARIO_DIR)) {
        if (entry.path().extension() == ".yaml") {
            files.push_back(entry.path());
        }
    }
    std::sort(files.begin(), files.end());
    return files;
}

} // namespace

TEST_CASE("every scenario in the library parses", "[scenario_format][library]") {
    const auto files = library_files();
    REQUIRE(files.size() >= 10);
    std::set<std::string> names;
    for (const auto& path : files) {
        const auto result = parse_scenario_file(path.string());
        std::string errors;
        for (const auto& error : result.errors) {
            errors += error.to_string() + "\n";
        }
        INFO(errors);
        REQUIRE(result.ok());
        const Scenario& s = *result.scenario;
        // The file is named after the scenario, so a report's name finds its file.
        CHECK(path.stem().string() == s.name);
        CHECK(names.insert(s.name).second);
        // A description that says what is proved, not a placeholder.
        CHECK(s.description.size() >= 60);
        CHECK_FALSE(s.expectations.empty());
    }
}

TEST_CASE("the library has one scenario per applicable field bug, named after the id",
          "[scenario_format][library]") {
    // Which ids apply is decided in scenarios/README.md; its table lists each id once, either
    // with its scenario file or with the reason it cannot apply.
    std::ifstream readme(FOTA_SCENARIO_DIR "/README.md");
    REQUIRE(readme.good());
    std::ostringstream text;
    text << readme.rdbuf();
    const std::string content = text.str();
    std::set<std::string> covered;
    for (const auto& path : library_files()) {
        const auto result = parse_scenario_file(path.string());
        REQUIRE(result.ok());
        for (const auto& id : result.scenario->field_bugs) {
            covered.insert(id);
        }
        const std::string stem = path.stem().string();
        if (stem.rfind("fb-", 0) == 0) {
            // fb-17-... reproduces FB-17.
            const std::string id = "FB-" + stem.substr(3, 2);
            const auto& bugs = result.scenario->field_bugs;
            INFO(stem);
            CHECK(std::find(bugs.begin(), bugs.end(), id) != bugs.end());
        }
    }
    for (int n = 1; n <= 27; ++n) {
        const std::string id = std::string("FB-") + (n < 10 ? "0" : "") + std::to_string(n);
        INFO(id);
        const bool has_scenario = covered.count(id) != 0;
        const bool explained = content.find("| " + id + " | not applicable") != std::string::npos;
        // Exactly one of: a scenario reproduces it, or README says why it cannot apply.
        CHECK(has_scenario != explained);
    }
}

TEST_CASE("the library covers the seed flow, the power-cut set and the verified rollback",
          "[scenario_format][library]") {
    std::set<std::string> names;
    for (const auto& path : library_files()) {
        names.insert(path.stem().string());
    }
    for (const char* name :
         {"seed-happy-path", "seed-happy-path-100", "power-cut-during-download",
          "power-cut-after-download-before-apply", "power-cut-after-succeeded-before-reboot",
          "power-cut-during-swap", "power-cut-before-confirm", "verified-bad-hash-rollback"}) {
        INFO(name);
        CHECK(names.count(name) == 1);
    }
    const auto hundred = parse_scenario_file(FOTA_SCENARIO_DIR "/seed-happy-path-100.yaml");
    REQUIRE(hundred.ok());
    CHECK(hundred.scenario->device_count() == 100);
}
