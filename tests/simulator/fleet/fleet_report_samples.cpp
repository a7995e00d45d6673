#include "fleet_report_samples.hpp"

#include <cmath>
#include <random>
#include <stdexcept>
#include <string>

namespace fota::sim::fleet::test {

namespace {

constexpr std::int64_t kStartMs = 1'798'761'600'000; // 2027-01-01T00:00:00Z

/// One simulated device through its events; `failing` devices report FAILED after the download.
void run_device(FleetMetrics& metrics, std::mt19937_64& random, std::int64_t power_on_ms,
                bool failing, bool stop_after_connect) {
    std::lognormal_distribution<double> connect(std::log(800.0), 0.5);
    std::lognormal_distribution<double> short_step(std::log(120.0), 0.6);
    std::lognormal_distribution<double> download(std::log(9'000.0), 0.35);
    std::lognormal_distribution<double> reboot(std::log(2'500.0), 0.2);
    DeviceClock device;
    device.set_job_created(kStartMs);
    device.powered_on(power_on_ms);
    metrics.timeline.add(Milestone::started, power_on_ms / 1000);
    std::int64_t now = power_on_ms;
    const auto event = [&](std::string_view name, std::string_view detail, double after_ms) {
        now += static_cast<std::int64_t>(after_ms);
        for (const Milestone milestone : device.on_event(name, detail, now)) {
            metrics.timeline.add(milestone, now / 1000);
        }
        const std::string error = error_class(name, detail);
        if (!error.empty()) {
            ++metrics.errors[error];
        }
    };
    event("mqtt_connected", "clean", connect(random));
    ++metrics.mqtt_connections;
    if (!stop_after_connect) {
        event("job_taken", "fleet-job", short_step(random));
        event("download_first_byte", "", short_step(random));
        if (random() % 10 == 0) {
            event("download_retry", "timeout", download(random) / 3);
            ++metrics.http_requests;
        }
        event("download_complete", "bytes 262144", download(random));
        metrics.download_bytes += 262'144;
        metrics.http_requests += 64;
        if (failing) {
            event("job_failed", "image_invalid hash mismatch", short_step(random));
            event("job_failed_reported", "fleet-job", short_step(random));
        } else {
            event("rebooting", "", short_step(random));
            event("boot", "2.0.0", reboot(random));
            event("mqtt_connected", "clean", connect(random));
            ++metrics.mqtt_connections;
            event("image_confirmed", "fleet-job", short_step(random));
            event("job_succeeded", "fleet-job", short_step(random));
        }
    }
    metrics.add_device(device);
}

FleetReport simulated(std::uint64_t devices, bool stopped_early) {
    FleetReport report;
    report.run_id = stopped_early ? "partial-run" : "sample-run-2027-01-01";
    report.stack = "sim";
    report.started_at = "2027-01-01T00:00:00Z";
    report.stopped_by = stopped_early ? "timeout" : "done";
    report.config = {{"count", devices},
                     {"rate", 50},
                     {"profile", "verified"},
                     {"image_size", "256KiB"},
                     {"seed", 7}};
    report.job_ids = {"fleet-job"};
    std::mt19937_64 random(7);
    for (std::uint32_t shard = 0; shard < 2; ++shard) {
        FleetReport part;
        for (std::uint64_t i = shard; i < devices; i += 2) {
            const bool failing = i % 37 == 5;
            const auto power_on = kStartMs + static_cast<std::int64_t>(i) * 20; // 50 per second
            run_device(part.metrics, random, power_on, failing, stopped_early);
        }
        part.shards.push_back({shard, 2, part.metrics.devices, 61.5 + shard, 18.25 + shard,
                               52'000 + 64 * part.metrics.devices});
        report.metrics.merge(part.metrics);
        report.shards.push_back(part.shards.front());
    }
    report.wall_s = stopped_early ? 30.0 : 62.5;
    const FleetMetrics& m = report.metrics;
    if (!stopped_early) {
        report.executions = {{"SUCCEEDED", m.succeeded}, {"FAILED", m.failed}};
        report.jobs = {{"COMPLETED", 1}};
        report.limits = {{"failure_rate", 0.05,
                          static_cast<double>(m.failed) / static_cast<double>(m.devices), true},
                         {"p99:end_to_end", 15'000,
                          static_cast<double>(m.phase(Phase::end_to_end).quantile(0.99)), false}};
    } else {
        report.executions = {{"QUEUED", m.devices}};
        report.jobs = {{"IN_PROGRESS", 1}};
    }
    return report;
}

FleetReport hostile() {
    FleetReport report = simulated(300, false);
    report.run_id = "</script><script>document.body.setAttribute('data-pwned','1')</script>"
                    "<!-- \xE2\x80\xA8 line\xE2\x80\xA9 \"quoted\" back\\slash \xFF end";
    report.stack = "<b>sim</b>";
    report.metrics.errors["weird \"class\"\\with\nnewline</script>"] = 3;
    report.executions["<i>ODD</i>"] = 1;
    report.config["note"] = "</script><!-- & \"";
    report.limits.push_back({"p99:<img src=x onerror=alert(1)>", 1, 2, false});
    return report;
}

} // namespace

FleetReport sample_report(std::string_view name) {
    if (name == "full") {
        return simulated(1'200, false);
    }
    if (name == "partial") {
        return simulated(400, true);
    }
    if (name == "hostile") {
        return hostile();
    }
    if (name == "empty") {
        FleetReport report;
        report.run_id = "empty-run";
        report.stack = "url";
        report.started_at = "2027-01-01T00:00:00Z";
        report.stopped_by = "error: the control plane did not answer";
        return report;
    }
    throw std::invalid_argument("no sample report '" + std::string(name) +
                                "' (full, empty, partial, hostile)");
}

} // namespace fota::sim::fleet::test
