// The fleet report in Prometheus' text exposition format 0.0.4.
#include "fota/sim/fleet_prometheus.hpp"

#include <charconv>
#include <cmath>
#include <tuple>
#include <utility>

namespace fota::sim::fleet {

namespace {

/// `text` with every invalid UTF-8 sequence (stray continuation bytes, overlong forms,
/// surrogates, beyond U+10FFFF, truncated) replaced by U+FFFD: the format is UTF-8, and one bad
/// byte would make Prometheus refuse the whole scrape.
std::string utf8_or_replacement(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        const auto lead = static_cast<unsigned char>(text[i]);
        std::size_t length = 0;
        unsigned char min_second = 0x80;
        unsigned char max_second = 0xBF;
        if (lead < 0x80) {
            length = 1;
        } else if (lead >= 0xC2 && lead <= 0xDF) {
            length = 2;
        } else if (lead >= 0xE0 && lead <= 0xEF) {
            length = 3;
            min_second = lead == 0xE0 ? 0xA0 : 0x80; // no overlong forms
            max_second = lead == 0xED ? 0x9F : 0xBF; // no surrogates
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            length = 4;
            min_second = lead == 0xF0 ? 0x90 : 0x80;
            max_second = lead == 0xF4 ? 0x8F : 0xBF; // at most U+10FFFF
        }
        bool valid = length != 0 && i + length <= text.size();
        for (std::size_t k = 1; valid && k < length; ++k) {
            const auto byte = static_cast<unsigned char>(text[i + k]);
            valid = k == 1 ? byte >= min_second && byte <= max_second : (byte & 0xC0) == 0x80;
        }
        if (valid) {
            out.append(text.substr(i, length));
            i += length;
        } else {
            out += "\xEF\xBF\xBD";
            ++i;
        }
    }
    return out;
}

/// A label value: backslash, double quote and line feed escaped, as the format requires.
std::string label_value_text(std::string_view value) {
    std::string out;
    for (const char c : utf8_or_replacement(value)) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '"') {
            out += "\\\"";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

/// A sample value: integers exactly, others in the shortest form that reads back the same.
std::string sample_value_text(double value) {
    if (std::isnan(value)) {
        return "NaN";
    }
    if (std::isinf(value)) {
        return value > 0 ? "+Inf" : "-Inf";
    }
    char buffer[64];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    return std::string(buffer, result.ptr);
}

using Labels = std::vector<std::pair<std::string_view, std::string>>;

class Exposition {
public:
    /// Starts a metric family: its # HELP and # TYPE lines (the help is our own ASCII text).
    void family(std::string_view name, std::string_view type, std::string_view help) {
        text_ += "# HELP " + std::string(name) + " " + std::string(help) + "\n";
        text_ += "# TYPE " + std::string(name) + " " + std::string(type) + "\n";
    }

    void sample(std::string_view name, const Labels& labels, std::uint64_t value) {
        line(name, labels, std::to_string(value));
    }

    void sample(std::string_view name, const Labels& labels, double value) {
        line(name, labels, sample_value_text(value));
    }

    std::string take() { return std::move(text_); }

private:
    void line(std::string_view name, const Labels& labels, const std::string& value) {
        text_ += name;
        if (!labels.empty()) {
            text_ += '{';
            for (std::size_t i = 0; i < labels.size(); ++i) {
                text_ += (i == 0 ? "" : ",") + std::string(labels[i].first) + "=\"" +
                         label_value_text(labels[i].second) + "\"";
            }
            text_ += '}';
        }
        text_ += " " + value + "\n";
    }

    std::string text_;
};

void counts_family(Exposition& out, std::string_view name, std::string_view type,
                   std::string_view help, std::string_view label,
                   const std::map<std::string, std::uint64_t>& counts) {
    out.family(name, type, help);
    for (const auto& [key, n] : counts) {
        out.sample(name, {{label, key}}, n);
    }
}

void latency_histograms(Exposition& out, const FleetMetrics& metrics) {
    out.family("fota_fleet_phase_latency_seconds", "histogram",
               "Latency of each phase of an update, one sample per device that completed it");
    for (std::size_t p = 0; p < kPhaseCount; ++p) {
        const Histogram& h = metrics.phases[p];
        const std::string phase(to_string(static_cast<Phase>(p)));
        // Histogram::count_at_most is exact at its own bucket edges and otherwise may leave out
        // the fine bucket (at most 6.25 % wide) that straddles `le`: a bucket here is within
        // one fine bucket of the true count, and never above it.
        for (const double le : prometheus_latency_edges()) {
            const auto ms = static_cast<std::uint64_t>(std::llround(le * 1000));
            out.sample("fota_fleet_phase_latency_seconds_bucket",
                       {{"phase", phase}, {"le", sample_value_text(le)}}, h.count_at_most(ms));
        }
        out.sample("fota_fleet_phase_latency_seconds_bucket", {{"phase", phase}, {"le", "+Inf"}},
                   h.count());
        out.sample("fota_fleet_phase_latency_seconds_sum", {{"phase", phase}},
                   static_cast<double>(h.sum()) / 1000);
        out.sample("fota_fleet_phase_latency_seconds_count", {{"phase", phase}}, h.count());
    }
}

void shard_families(Exposition& out, const std::vector<ShardReport>& shards) {
    const auto shard_label = [](const ShardReport& s) {
        return Labels{{"shard", std::to_string(s.index)}};
    };
    out.family("fota_fleet_shard_devices", "gauge", "Devices run by each shard");
    for (const ShardReport& s : shards) {
        out.sample("fota_fleet_shard_devices", shard_label(s), s.devices);
    }
    out.family("fota_fleet_shard_cpu_seconds_total", "counter",
               "CPU time (user and system) of each shard's process");
    for (const ShardReport& s : shards) {
        out.sample("fota_fleet_shard_cpu_seconds_total", shard_label(s), s.cpu_s);
    }
    out.family("fota_fleet_shard_peak_rss_bytes", "gauge",
               "Peak resident memory of each shard's process");
    for (const ShardReport& s : shards) {
        out.sample("fota_fleet_shard_peak_rss_bytes", shard_label(s), s.peak_rss_kib * 1024);
    }
}

} // namespace

const std::vector<double>& prometheus_latency_edges() {
    static const std::vector<double> edges = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,    2.5,
                                              5,     10,   30,    60,   120, 300,  600, 1800, 3600};
    return edges;
}

std::string prometheus_text(const FleetReport& snapshot) {
    const FleetMetrics& m = snapshot.metrics;
    Exposition out;
    out.family("fota_fleet_run_info", "gauge", "The fleet run these metrics are of (always 1)");
    out.sample("fota_fleet_run_info", {{"run_id", snapshot.run_id}, {"stack", snapshot.stack}},
               std::uint64_t{1});
    out.family("fota_fleet_wall_seconds", "gauge", "Seconds since the first device started");
    out.sample("fota_fleet_wall_seconds", {}, snapshot.wall_s);
    out.family("fota_fleet_devices", "gauge",
               "Devices of the run: all of them, started, succeeded (new image confirmed and "
               "SUCCEEDED reported), failed (FAILED or REJECTED reported)");
    for (const auto& [state, n] :
         {std::pair{"total", m.devices}, std::pair{"started", m.started},
          std::pair{"succeeded", m.succeeded}, std::pair{"failed", m.failed}}) {
        out.sample("fota_fleet_devices", {{"state", state}}, n);
    }
    out.family("fota_fleet_milestone_devices_total", "counter",
               "Devices that reached each milestone of an update");
    for (std::size_t i = 0; i < kMilestoneCount; ++i) {
        const auto milestone = static_cast<Milestone>(i);
        out.sample("fota_fleet_milestone_devices_total",
                   {{"milestone", std::string(to_string(milestone))}}, m.timeline.total(milestone));
    }
    latency_histograms(out, m);
    counts_family(out, "fota_fleet_errors_total", "counter",
                  "Errors the devices met, by class (failed:<reason> for FAILED reports)", "class",
                  m.errors);
    for (const auto& [name, help, value] :
         {std::tuple{"fota_fleet_download_bytes_total", "Firmware bytes the devices downloaded",
                     m.download_bytes},
          std::tuple{"fota_fleet_http_requests_total", "HTTP requests the devices made",
                     m.http_requests},
          std::tuple{"fota_fleet_mqtt_connections_total", "MQTT sessions the devices opened",
                     m.mqtt_connections}}) {
        out.family(name, "counter", help);
        out.sample(name, {}, value);
    }
    counts_family(out, "fota_fleet_executions", "gauge",
                  "Job executions by status, as the cloud reported them", "status",
                  snapshot.executions);
    counts_family(out, "fota_fleet_jobs", "gauge", "Jobs by status", "status", snapshot.jobs);
    shard_families(out, snapshot.shards);
    out.family("fota_fleet_limit_passed", "gauge",
               "1 when the run holds to the limit (--max-failure-rate, --max-p99), else 0");
    for (const LimitVerdict& limit : snapshot.limits) {
        out.sample("fota_fleet_limit_passed", {{"limit", limit.name}},
                   std::uint64_t{limit.passed ? 1U : 0U});
    }
    return out.take();
}

} // namespace fota::sim::fleet
