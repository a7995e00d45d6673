#include "fota/names.hpp"

#include <catch2/catch.hpp>

#include <set>
#include <string>

using namespace fota;

TEST_CASE("every log event has one distinct snake_case name outside the core", "[core][events]") {
    std::set<std::string_view> seen;
    for (std::size_t i = 0; i < kEventCount; ++i) {
        const std::string_view name = event_name(static_cast<Event>(i));
        INFO(i);
        REQUIRE_FALSE(name.empty());
        for (const char c : name) {
            CHECK(((c >= 'a' && c <= 'z') || c == '_'));
        }
        CHECK(seen.insert(name).second);
    }
    // The names the simulator's runner and scenario expectations key on.
    CHECK(event_name(Event::Boot) == "boot");
    CHECK(event_name(Event::JobTaken) == "job_taken");
    CHECK(event_name(Event::DownloadStarted) == "download_started");
    CHECK(event_name(Event::DownloadResume) == "download_resume");
    CHECK(event_name(Event::DownloadComplete) == "download_complete");
    CHECK(event_name(Event::Rebooting) == "rebooting");
    CHECK(event_name(static_cast<Event>(kEventCount)) == "unknown");
}

TEST_CASE("every phase has its name outside the core", "[core][events]") {
    CHECK(phase_text(Phase::Idle) == "idle");
    CHECK(phase_text(Phase::Downloading) == "downloading");
    CHECK(phase_text(Phase::Failing) == "failing");
    CHECK(phase_text(static_cast<Phase>(8)) == "unknown");
}
