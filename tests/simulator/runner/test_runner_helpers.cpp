// The runner's pure helpers: how core log events map to scenario phases, count ranges, the
// statusDetails match, version comparison.
#include "fota/sim/scenario_runner.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

using fota::sim::CountRange;
using fota::sim::DevicePhase;

namespace {
bool has(const std::vector<DevicePhase>& phases, DevicePhase phase) {
    return std::find(phases.begin(), phases.end(), phase) != phases.end();
}
} // namespace

TEST_CASE("device events map to the phases they stand for", "[runner]") {
    using fota::sim::phases_of_event;
    CHECK(phases_of_event("boot") == std::vector<DevicePhase>{DevicePhase::booted});
    CHECK(has(phases_of_event("job_taken"), DevicePhase::job_received));
    CHECK(has(phases_of_event("job_taken"), DevicePhase::in_progress_sent));
    CHECK(has(phases_of_event("download_complete"), DevicePhase::apply_sent));
    CHECK(has(phases_of_event("rebooting"), DevicePhase::image_scheduled));
    // The first image byte, not the request, is "downloading" (FB-05: a refused connection
    // never downloads).
    CHECK(phases_of_event("download_first_byte") ==
          std::vector<DevicePhase>{DevicePhase::downloading});
    CHECK(phases_of_event("download_started").empty());
    CHECK(phases_of_event("swapping") == std::vector<DevicePhase>{DevicePhase::swapping});
    // SUCCEEDED / FAILED are sent when published, not when the cloud accepts them.
    CHECK_FALSE(has(phases_of_event("rebooting"), DevicePhase::succeeded_sent));
    CHECK(phases_of_event("job_succeeded").empty());
    CHECK(has(phases_of_event("update_failed"), DevicePhase::rolled_back));
    CHECK(phases_of_event("message_ignored").empty());
    CHECK(phases_of_event("").empty());
}

TEST_CASE("published job updates: job and status", "[runner]") {
    using fota::sim::parse_job_update;
    auto u = parse_job_update(
        R"($aws/things/dev-1/jobs/fw-2/update {"status":"SUCCEEDED","expectedVersion":3})");
    CHECK(u.job == "fw-2");
    CHECK(u.status == "SUCCEEDED");
    u = parse_job_update("$aws/things/dev-1/jobs/fw-2/update not json");
    CHECK(u.job == "fw-2");
    CHECK(u.status == "?");
    CHECK(parse_job_update(R"($aws/things/dev-1/jobs/$next/get {})").job.empty());
    CHECK(parse_job_update(R"($aws/things/dev-1/shadow/update {"state":{}})").job.empty());
    CHECK(parse_job_update(R"($aws/things/dev-1/jobs/a/b/update {})").job.empty());
    CHECK(parse_job_update("no-space-at-all").job.empty());
    CHECK(parse_job_update("").job.empty());
}

TEST_CASE("count ranges", "[runner]") {
    using fota::sim::describe_range;
    using fota::sim::in_range;
    const CountRange exact{3, 3};
    CHECK(in_range(exact, 3));
    CHECK_FALSE(in_range(exact, 2));
    CHECK_FALSE(in_range(exact, 4));
    CHECK(describe_range(exact) == "3");
    const CountRange at_least{1, std::nullopt};
    CHECK(in_range(at_least, 1000));
    CHECK_FALSE(in_range(at_least, 0));
    CHECK(describe_range(at_least) == ">= 1");
    CHECK(describe_range(CountRange{1, 4}) == "1..4");
    CHECK(describe_range(CountRange{}) == "any");
    CHECK(in_range(CountRange{}, 0));
}

TEST_CASE("statusDetails must contain the wanted fields", "[runner]") {
    using fota::sim::status_details_match;
    const auto details = nlohmann::json{{"nextState", "none"}, {"reason", "hash"}};
    CHECK(status_details_match({{"nextState", "none"}}, details));
    CHECK(status_details_match({{"reason", "*"}}, details));
    CHECK_FALSE(status_details_match({{"nextState", "apply_firmware"}}, details));
    CHECK_FALSE(status_details_match({{"missing", "*"}}, details));
    CHECK_FALSE(status_details_match({{"nextState", "none"}}, nlohmann::json()));
    const auto described = nlohmann::json{{"detailsMap", details}};
    CHECK(status_details_match({{"reason", "hash"}}, described));
    CHECK_FALSE(status_details_match({{"reason", "other"}}, described));
}

TEST_CASE("versions compare without v prefix and +0 build", "[runner]") {
    using fota::sim::same_version;
    CHECK(same_version("2.0.0", "v2.0.0"));
    CHECK(same_version("2.0.0+0", "2.0.0"));
    CHECK_FALSE(same_version("2.0.0", "2.0.1"));
    CHECK_FALSE(same_version("2.0.0+1", "2.0.0"));
}

TEST_CASE("a scenario file that does not parse is an error with file:line:col", "[runner]") {
    fota::sim::RunnerOptions options;
    const auto report = fota::sim::run_scenario_file("/nonexistent/none.yaml", options);
    CHECK(report.outcome == fota::sim::Outcome::error);
    CHECK(report.error.find("/nonexistent/none.yaml") != std::string::npos);
}
