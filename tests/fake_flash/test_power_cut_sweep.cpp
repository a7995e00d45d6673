// Exhaustive power-cut sweeps (label power_cut). CI runs the small geometries; set
// FOTA_FLASH_FULL_SWEEP=1 to add the full nRF9160 geometry (1 MiB, 200 KiB update), or
// FOTA_FLASH_SWEEP_SETUPS=a,b to choose. Replay one printed case with
//   FOTA_FLASH_REPLAY='sweep=... setup=... plan=...' fake_flash_power_cut_test '[.replay]'
#include "power_cut_sweep.hpp"

#include "fota/flash/text.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>

using namespace fota::flash;
using namespace fota::flash::test;

namespace {

std::vector<std::string> sweep_setups() {
    std::vector<std::string> setups;
    if (const char* chosen = std::getenv("FOTA_FLASH_SWEEP_SETUPS"); chosen && *chosen) {
        for (auto name : split(chosen, ',')) {
            setups.emplace_back(name);
        }
        return setups;
    }
    setups = {"small", "small-w16-e00"};
    if (const char* full = std::getenv("FOTA_FLASH_FULL_SWEEP"); full && std::string(full) == "1") {
        setups.emplace_back("nrf9160");
    }
    return setups;
}

void report_and_check(const std::string& title, const std::string& setup, const SweepReport& report,
                      double seconds) {
    std::printf("%s setup=%s: %llu flash operations, %llu cases, %llu failed, %.2f s\n",
                title.c_str(), setup.c_str(), static_cast<unsigned long long>(report.operations),
                static_cast<unsigned long long>(report.cases),
                static_cast<unsigned long long>(report.failures), seconds);
    for (const auto& line : report.failure_lines) {
        std::printf("%s\n", line.c_str());
    }
    if (report.failures != 0) {
        std::printf("%llu out of %llu failed\n", static_cast<unsigned long long>(report.failures),
                    static_cast<unsigned long long>(report.cases));
    }
    std::fflush(stdout);
    INFO(title << " setup=" << setup << ": " << report.failures << " of " << report.cases
               << " cases failed (lines above)");
    CHECK(report.operations > 10);
    CHECK(report.cases > 0);
    CHECK(report.failures == 0);
}

template <class Run>
void timed(const std::string& title, const std::string& setup, Run run) {
    const auto start = std::chrono::steady_clock::now();
    const SweepReport report = run();
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    report_and_check(title, setup, report, elapsed.count());
}

void exhaustive(const std::string& sweep) {
    for (const auto& setup : sweep_setups()) {
        timed("exhaustive " + sweep, setup, [&] { return exhaustive_sweep(sweep, setup); });
    }
}

void random(const std::string& sweep, std::uint64_t count) {
    for (const auto& setup : sweep_setups()) {
        timed("random multi-cut " + sweep, setup,
              [&] { return random_sweep(sweep, setup, 2026, count); });
    }
}

} // namespace

TEST_CASE("power cut at every operation of a test upgrade", "[power_cut]") {
    exhaustive("upgrade-test");
}

TEST_CASE("power cut at every operation of a permanent upgrade", "[power_cut]") {
    exhaustive("upgrade-permanent");
}

TEST_CASE("power cut at every operation of a revert", "[power_cut]") {
    exhaustive("revert");
}

TEST_CASE("power cut at every operation of store updates", "[power_cut]") {
    exhaustive("store");
}

TEST_CASE("power cut at every operation of a download and upgrade request", "[power_cut]") {
    exhaustive("download");
}

TEST_CASE("up to five power cuts at seeded random operations", "[power_cut]") {
    random("upgrade-permanent", 100);
    random("revert", 100);
    random("store", 100);
    random("download", 100);
}

TEST_CASE("replay lines round-trip", "[power_cut]") {
    const SweepCase original{
        "revert", "small", {FaultPlan::cut_torn(12, 99), FaultPlan::cut_before(3)}};
    const std::string line = original.replay_line();
    CHECK(line == "sweep=revert setup=small plan=cut@12:torn:seed=99|cut@3:before");
    auto parsed = SweepCase::parse(line);
    REQUIRE(parsed);
    CHECK(parsed->replay_line() == line);
    CHECK_FALSE(SweepCase::parse("sweep=revert setup=small"));
    CHECK_FALSE(SweepCase::parse("sweep=revert setup=small plan=cut@0"));
    CHECK_FALSE(SweepCase::parse("sweep=revert setup=small plan=cut@1 colour=red"));
    // A replayed case runs the same checks as the sweep.
    CHECK(run_case(parsed.value()).empty());
}

TEST_CASE("replay one case from FOTA_FLASH_REPLAY", "[.replay]") {
    const char* line = std::getenv("FOTA_FLASH_REPLAY");
    REQUIRE(line != nullptr);
    auto sweep_case = SweepCase::parse(line);
    REQUIRE(sweep_case);
    const std::string problems = run_case(sweep_case.value());
    INFO(sweep_case->replay_line());
    INFO(problems);
    CHECK(problems.empty());
}
