#include "fota/sim/fleet_report.hpp"

#include <algorithm>

namespace fota::sim::fleet {

using json = nlohmann::json;

namespace {

constexpr const char* kFormat = "fota-sim-fleet-report";
constexpr int kVersion = 1;

bool read_counts(const json& value, const char* key, std::map<std::string, std::uint64_t>& out,
                 std::string& error) {
    const auto it = value.find(key);
    if (it == value.end() || !it->is_object()) {
        error = std::string("'") + key + "' must be an object of counts";
        return false;
    }
    for (const auto& [name, n] : it->items()) {
        if (!n.is_number_integer() || n.get<std::int64_t>() < 0) {
            error = std::string("'") + key + "." + name + "' must be a non-negative integer";
            return false;
        }
        out[name] = n.get<std::uint64_t>();
    }
    return true;
}

std::optional<ShardReport> read_shard(const json& value, std::string& error) {
    ShardReport shard;
    try {
        shard.index = value.at("index").get<std::uint32_t>();
        shard.count = value.at("count").get<std::uint32_t>();
        shard.devices = value.at("devices").get<std::uint64_t>();
        shard.wall_s = value.at("wall_s").get<double>();
        shard.cpu_s = value.at("cpu_s").get<double>();
        shard.peak_rss_kib = value.at("peak_rss_kib").get<std::uint64_t>();
    } catch (const json::exception&) {
        error = "each shard must have index, count, devices, wall_s, cpu_s and peak_rss_kib";
        return std::nullopt;
    }
    return shard;
}

std::optional<LimitVerdict> read_limit(const json& value, std::string& error) {
    LimitVerdict limit;
    try {
        limit.name = value.at("name").get<std::string>();
        limit.limit = value.at("limit").get<double>();
        limit.observed = value.at("observed").get<double>();
        limit.passed = value.at("passed").get<bool>();
    } catch (const json::exception&) {
        error = "each limit must have name, limit, observed and passed";
        return std::nullopt;
    }
    return limit;
}

} // namespace

bool FleetReport::limits_passed() const {
    return std::all_of(limits.begin(), limits.end(),
                       [](const LimitVerdict& limit) { return limit.passed; });
}

json FleetReport::to_json() const {
    json shards_json = json::array();
    for (const ShardReport& shard : shards) {
        shards_json.push_back({{"index", shard.index},
                               {"count", shard.count},
                               {"devices", shard.devices},
                               {"wall_s", shard.wall_s},
                               {"cpu_s", shard.cpu_s},
                               {"peak_rss_kib", shard.peak_rss_kib}});
    }
    json limits_json = json::array();
    for (const LimitVerdict& limit : limits) {
        limits_json.push_back({{"name", limit.name},
                               {"limit", limit.limit},
                               {"observed", limit.observed},
                               {"passed", limit.passed}});
    }
    return {{"format", kFormat},        {"version", kVersion},          {"run_id", run_id},
            {"stack", stack},           {"started_at", started_at},     {"wall_s", wall_s},
            {"duration_s", duration_s}, {"stopped_by", stopped_by},     {"config", config},
            {"job_ids", job_ids},       {"executions", executions},     {"jobs", jobs},
            {"shards", shards_json},    {"metrics", metrics.to_json()}, {"limits", limits_json}};
}

std::optional<FleetReport> FleetReport::from_json(const json& value, std::string& error) {
    if (!value.is_object() || value.value("format", "") != kFormat) {
        error = std::string("not a fleet report (\"format\" is not \"") + kFormat + "\")";
        return std::nullopt;
    }
    if (value.value("version", 0) != kVersion) {
        error = "fleet report version " + value.value("version", json()).dump() +
                " (this fota-sim reads version " + std::to_string(kVersion) + ")";
        return std::nullopt;
    }
    FleetReport report;
    try {
        report.run_id = value.at("run_id").get<std::string>();
        report.stack = value.at("stack").get<std::string>();
        report.started_at = value.at("started_at").get<std::string>();
        report.wall_s = value.at("wall_s").get<double>();
        report.duration_s = value.at("duration_s").get<double>();
        report.stopped_by = value.at("stopped_by").get<std::string>();
        report.config = value.at("config");
        report.job_ids = value.at("job_ids").get<std::vector<std::string>>();
    } catch (const json::exception&) {
        error = "a fleet report needs run_id, stack, started_at, wall_s, duration_s, stopped_by, "
                "config and job_ids";
        return std::nullopt;
    }
    if (!read_counts(value, "executions", report.executions, error) ||
        !read_counts(value, "jobs", report.jobs, error)) {
        return std::nullopt;
    }
    for (const char* key : {"shards", "limits"}) {
        if (!value.contains(key) || !value[key].is_array()) {
            error = std::string("'") + key + "' must be an array";
            return std::nullopt;
        }
    }
    for (const json& entry : value["shards"]) {
        auto shard = read_shard(entry, error);
        if (!shard) {
            return std::nullopt;
        }
        report.shards.push_back(*shard);
    }
    for (const json& entry : value["limits"]) {
        auto limit = read_limit(entry, error);
        if (!limit) {
            return std::nullopt;
        }
        report.limits.push_back(*limit);
    }
    auto metrics = FleetMetrics::from_json(value.value("metrics", json()), error);
    if (!metrics) {
        error = "metrics: " + error;
        return std::nullopt;
    }
    report.metrics = std::move(*metrics);
    return report;
}

std::optional<FleetReport> merge_reports(const std::vector<FleetReport>& shards,
                                         std::string& error) {
    if (shards.empty()) {
        error = "no reports to merge";
        return std::nullopt;
    }
    FleetReport merged;
    merged.run_id = shards.front().run_id;
    merged.stack = shards.front().stack;
    merged.config = shards.front().config;
    merged.started_at = shards.front().started_at;
    merged.stopped_by = shards.front().stopped_by;
    for (const FleetReport& shard : shards) {
        if (shard.run_id != merged.run_id) {
            error = "reports of different runs: '" + merged.run_id + "' and '" + shard.run_id + "'";
            return std::nullopt;
        }
        if (merged.started_at.empty() ||
            (!shard.started_at.empty() && shard.started_at < merged.started_at)) {
            merged.started_at = shard.started_at; // a shard that died early may have none
        }
        merged.wall_s = std::max(merged.wall_s, shard.wall_s);
        merged.duration_s = std::max(merged.duration_s, shard.duration_s);
        if (shard.stopped_by != "done") {
            merged.stopped_by = shard.stopped_by; // the run stopped short if any shard did
        }
        for (const std::string& job : shard.job_ids) {
            if (std::find(merged.job_ids.begin(), merged.job_ids.end(), job) ==
                merged.job_ids.end()) {
                merged.job_ids.push_back(job);
            }
        }
        for (const auto& [status, n] : shard.executions) {
            merged.executions[status] += n;
        }
        for (const auto& [status, n] : shard.jobs) {
            merged.jobs[status] += n;
        }
        merged.shards.insert(merged.shards.end(), shard.shards.begin(), shard.shards.end());
        merged.metrics.merge(shard.metrics);
    }
    std::sort(merged.shards.begin(), merged.shards.end(),
              [](const ShardReport& a, const ShardReport& b) { return a.index < b.index; });
    for (std::size_t i = 1; i < merged.shards.size(); ++i) {
        if (merged.shards[i].index == merged.shards[i - 1].index) {
            error = "shard " + std::to_string(merged.shards[i].index) + " appears twice";
            return std::nullopt;
        }
    }
    return merged;
}

} // namespace fota::sim::fleet
