// The report of a fleet run (`fota-sim fleet --json`), and of a merge of shards' reports
// (`fota-sim report merge`): what ran, where, how the cloud saw it, and the metrics. Its JSON
// form (format "fota-sim-fleet-report", version 1) is what the HTML page, the terminal summary
// and a merge read.
#pragma once

#include "fota/sim/fleet_metrics.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace fota::sim::fleet {

/// One worker process or pod and what it cost.
struct ShardReport {
    std::uint32_t index = 0;
    std::uint32_t count = 1; ///< shards of the run
    std::uint64_t devices = 0;
    double wall_s = 0;
    double cpu_s = 0; ///< user + system
    std::uint64_t peak_rss_kib = 0;

    bool operator==(const ShardReport&) const = default;
};

/// A limit the run was held to (--max-failure-rate, --max-p99 PHASE=DURATION) and its verdict.
struct LimitVerdict {
    std::string name;    ///< "failure_rate" or "p99:<phase>"
    double limit = 0;    ///< a ratio (0..1) or milliseconds
    double observed = 0; ///< same unit
    bool passed = true;

    bool operator==(const LimitVerdict&) const = default;
};

struct FleetReport {
    std::string run_id;
    std::string stack;      ///< embedded, url, sim
    std::string started_at; ///< ISO 8601 UTC
    double wall_s = 0;      ///< real time the run took (stack start to the end)
    /// From the first device's start to the end on the stack's clock (virtual time on sim):
    /// what rates are per.
    double duration_s = 0;
    std::string stopped_by; ///< "done", "timeout", "interrupted", "aborted", "error: ..."
    /// The run's options as given (count, rate, profile, image size, rollout, abort, ...).
    nlohmann::json config = nlohmann::json::object();
    std::vector<std::string> job_ids;
    /// Job executions by status as the cloud reported them at the end (SUCCEEDED, FAILED,
    /// CANCELED, QUEUED, IN_PROGRESS, ...), and the jobs by status (an abort cancels a job).
    std::map<std::string, std::uint64_t> executions;
    std::map<std::string, std::uint64_t> jobs;
    std::vector<ShardReport> shards;
    FleetMetrics metrics;
    std::vector<LimitVerdict> limits;

    /// True when every limit passed.
    bool limits_passed() const;

    nlohmann::json to_json() const;
    /// nullopt and why when value is not a report of this format and version.
    static std::optional<FleetReport> from_json(const nlohmann::json& value, std::string& error);

    bool operator==(const FleetReport&) const = default;
};

/// The shards' reports as one: counts, histograms, timelines, executions and jobs added; shards
/// listed; wall time the longest; limits are not merged (check them again on the result).
/// Reports of different runs (run_id) are refused: nullopt and why in error.
std::optional<FleetReport> merge_reports(const std::vector<FleetReport>& shards,
                                         std::string& error);

} // namespace fota::sim::fleet
