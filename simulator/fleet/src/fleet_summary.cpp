#include "fota/sim/fleet_summary.hpp"

#include <algorithm>
#include <cstdio>
#include <string_view>

namespace fota::sim::fleet {

namespace {

std::string format(const char* pattern, double value) {
    char text[64];
    std::snprintf(text, sizeof text, pattern, value);
    return text;
}

std::string pad_left(const std::string& text, std::size_t width) {
    return text.size() >= width ? text : std::string(width - text.size(), ' ') + text;
}

std::string pad_right(const std::string& text, std::size_t width) {
    return text.size() >= width ? text : text + std::string(width - text.size(), ' ');
}

std::string bytes_text(double bytes) {
    if (bytes >= 1024.0 * 1024 * 1024) {
        return format("%.2f GiB", bytes / (1024.0 * 1024 * 1024));
    }
    if (bytes >= 1024.0 * 1024) {
        return format("%.1f MiB", bytes / (1024.0 * 1024));
    }
    return format("%.1f KiB", bytes / 1024.0);
}

// The most devices that reached `milestone` in any one second, and the second's count.
std::uint64_t peak_per_second(const Timeline& timeline, Milestone milestone) {
    std::uint64_t peak = 0;
    std::uint64_t before = 0;
    for (std::int64_t s = timeline.first_second(); s <= timeline.last_second(); ++s) {
        const std::uint64_t now = timeline.cumulative(milestone, s);
        peak = std::max(peak, now - before);
        before = now;
    }
    return peak;
}

} // namespace

std::string format_duration_ms(double ms) {
    if (ms < 1000) {
        return format("%.0f ms", ms);
    }
    if (ms < 60'000) {
        return format("%.2f s", ms / 1000);
    }
    const auto seconds = static_cast<long>(ms / 1000);
    char text[32];
    std::snprintf(text, sizeof text, "%ldm %02lds", seconds / 60, seconds % 60);
    return text;
}

std::string progress_line(const FleetReport& snapshot) {
    const Timeline& t = snapshot.metrics.timeline;
    std::string line = format("[%6.1f s]", snapshot.duration_s);
    for (const Milestone m :
         {Milestone::started, Milestone::connected, Milestone::job, Milestone::downloaded,
          Milestone::rebooted, Milestone::done, Milestone::failed}) {
        line += " " + std::string(to_string(m)) + " " + std::to_string(t.total(m));
    }
    line += " of " + std::to_string(snapshot.metrics.devices);
    std::uint64_t errors = 0;
    for (const auto& [name, n] : snapshot.metrics.errors) {
        errors += n;
    }
    line += " | errors " + std::to_string(errors);
    for (const auto& [status, n] : snapshot.jobs) {
        if (status != "IN_PROGRESS" && n > 0) {
            line += " | job " + status;
        }
    }
    return line;
}

std::string summary_text(const FleetReport& report) {
    const FleetMetrics& m = report.metrics;
    std::string out =
        "fleet " + report.run_id + ": " + std::to_string(m.devices) + " devices on " +
        report.stack + ", " + format("%.1f s", report.duration_s) +
        (report.stack == "sim" ? format(" virtual (%.1f s real)", report.wall_s) : std::string()) +
        ", " + report.stopped_by + "\n";
    out += "  devices     " + std::to_string(m.succeeded) + " updated, " +
           std::to_string(m.failed) + " failed, " +
           std::to_string(m.devices - std::min(m.devices, m.succeeded + m.failed)) +
           " unfinished\n";
    for (const auto& [status, n] : report.jobs) {
        out += "  job" + std::string(report.jobs.size() > 1 ? "s         " : "         ") +
               std::to_string(n) + " " + status +
               (status == "CANCELED" ? " (cancelled by its abortConfig or a user)" : "") + "\n";
    }
    if (!report.executions.empty()) {
        out += "  executions ";
        for (const auto& [status, n] : report.executions) {
            if (n > 0) {
                out += " " + status + " " + std::to_string(n);
            }
        }
        out += "\n";
    }
    out += "  " + pad_right("phase", 14) + pad_left("count", 7) + pad_left("p50", 10) +
           pad_left("p90", 10) + pad_left("p99", 10) + pad_left("max", 10) + "\n";
    for (std::size_t p = 0; p < kPhaseCount; ++p) {
        const Histogram& h = m.phases[p];
        out += "  " + pad_right(std::string(to_string(static_cast<Phase>(p))), 14) +
               pad_left(std::to_string(h.count()), 7);
        for (const double q : {0.5, 0.9, 0.99}) {
            out += pad_left(
                h.count() ? format_duration_ms(static_cast<double>(h.quantile(q))) : "-", 10);
        }
        out +=
            pad_left(h.count() ? format_duration_ms(static_cast<double>(h.max())) : "-", 10) + "\n";
    }
    const double seconds = std::max(report.duration_s, 0.001);
    out += "  throughput  " + std::to_string(peak_per_second(m.timeline, Milestone::done)) +
           " devices done in the busiest second, " + format("%.1f", m.succeeded / seconds) +
           " per second overall; " + bytes_text(static_cast<double>(m.download_bytes)) +
           " downloaded in " + std::to_string(m.http_requests) + " requests; " +
           std::to_string(m.mqtt_connections) + " MQTT sessions\n";
    if (!m.errors.empty()) {
        out += "  errors     ";
        for (const auto& [name, n] : m.errors) {
            out += " " + name + " " + std::to_string(n);
        }
        out += "\n";
    }
    double cpu = 0;
    std::uint64_t rss = 0;
    for (const ShardReport& shard : report.shards) {
        cpu += shard.cpu_s;
        rss += shard.peak_rss_kib;
    }
    out +=
        "  cost        cpu " + format("%.1f s", cpu) + ", peak RSS " +
        bytes_text(static_cast<double>(rss) * 1024) +
        (m.devices ? " (" + bytes_text(static_cast<double>(rss) * 1024 / m.devices) + " per device)"
                   : "") +
        ", " + std::to_string(report.shards.size()) +
        (report.shards.size() == 1 ? " process\n" : " processes\n");
    for (const LimitVerdict& limit : report.limits) {
        const bool ratio = limit.name == "failure_rate";
        out += "  limit       " + limit.name + ": " +
               (ratio ? format("%.3f", limit.observed) : format_duration_ms(limit.observed)) +
               (limit.passed ? " within " : " above ") +
               (ratio ? format("%.3f", limit.limit) : format_duration_ms(limit.limit)) +
               (limit.passed ? "" : "  FAILED") + "\n";
    }
    return out;
}

} // namespace fota::sim::fleet
