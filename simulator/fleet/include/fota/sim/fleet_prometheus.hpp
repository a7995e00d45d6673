// A fleet report as Prometheus metrics (text exposition format 0.0.4), for scraping a long run
// while it goes (MetricsServer serves it at /metrics).
#pragma once

#include "fota/sim/fleet_report.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace fota::sim::fleet {

/// The Content-Type of prometheus_text's answer.
inline constexpr std::string_view kPrometheusContentType =
    "text/plain; version=0.0.4; charset=utf-8";

/// `snapshot` (the run so far, or its end) as metric families named fota_fleet_*, each with
/// # HELP and # TYPE before its samples:
///   fota_fleet_devices{state="total|started|succeeded|failed"}             gauge
///   fota_fleet_milestone_devices_total{milestone="connected",...}          counter (timeline)
///   fota_fleet_phase_latency_seconds{phase="download",le="..."}            histogram
///   fota_fleet_errors_total{class="..."}                                   counter
///   fota_fleet_download_bytes_total, _http_requests_total, _mqtt_connections_total  counters
///   fota_fleet_executions{status="..."}, fota_fleet_jobs{status="..."}     gauges
///   fota_fleet_shard_cpu_seconds_total{shard}, fota_fleet_shard_peak_rss_bytes{shard}
///   fota_fleet_limit_passed{limit="..."}                                   gauge (1 or 0)
///   fota_fleet_wall_seconds, fota_fleet_run_info{run_id,stack}             gauges
/// Label values are escaped as the format says (\\, \", \n) and invalid UTF-8 becomes U+FFFD.
std::string prometheus_text(const FleetReport& snapshot);

/// The upper edges (le, seconds) of fota_fleet_phase_latency_seconds, ascending; +Inf follows.
const std::vector<double>& prometheus_latency_edges();

} // namespace fota::sim::fleet
