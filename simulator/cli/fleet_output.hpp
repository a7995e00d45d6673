// What `fota-sim fleet` and `fota-sim report merge` show and write: the live progress line on
// stderr (rewritten in place on a terminal, a plain line every 10 s otherwise), the reports.
#pragma once

#include "cli/cli_options.hpp"
#include "fota/sim/fleet_html.hpp"
#include "fota/sim/fleet_prometheus.hpp"
#include "fota/sim/fleet_report.hpp"
#include "fota/sim/fleet_summary.hpp"
#include "fota/sim/metrics_server.hpp"

#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>

namespace fota::sim::cli {

class FleetOutput {
public:
    FleetOutput(bool terminal, std::string html, bool metrics, std::uint16_t metrics_port)
        : terminal_(terminal), html_(std::move(html)), metrics_(metrics),
          metrics_port_(metrics_port) {}

    /// Starts what serves while the run goes (Prometheus metrics); throws when the port cannot
    /// be listened on.
    void start() {
        if (!metrics_) {
            return;
        }
        fleet::MetricsServerOptions options;
        options.port = metrics_port_;
        server_ = std::make_unique<fleet::MetricsServer>(options, [this] {
            const std::lock_guard lock(metrics_mutex_);
            return metrics_text_;
        });
        std::cerr << "fota-sim: Prometheus metrics at " << server_->url() << "\n";
    }

    void progress(const fleet::FleetReport& snapshot, bool final) {
        if (server_) {
            std::string text = fleet::prometheus_text(snapshot);
            const std::lock_guard lock(metrics_mutex_);
            metrics_text_ = std::move(text);
        }
        if (final) {
            clear();
            return;
        }
        const std::string line = fleet::progress_line(snapshot);
        if (terminal_) {
            std::cerr << "\r\033[K" << line << std::flush;
            shown_ = true;
        } else if (std::chrono::steady_clock::now() - last_line_ >= std::chrono::seconds(10)) {
            last_line_ = std::chrono::steady_clock::now();
            std::cerr << line << "\n";
        }
    }

    void clear() {
        if (shown_) {
            std::cerr << "\r\033[K" << std::flush;
            shown_ = false;
        }
    }

    /// The JSON (when json is not empty) and HTML reports; false when one cannot be written.
    bool write_reports(const fleet::FleetReport& report, const std::string& json) {
        // A run id given on the command line may hold bytes that are not UTF-8.
        const std::string text =
            report.to_json().dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
        if (!json.empty() && !write_output_file("fota-sim", json, "JSON report",
                                                [&](std::ostream& out) { out << text << "\n"; })) {
            return false;
        }
        return html_.empty() ||
               write_output_file("fota-sim", html_, "HTML report",
                                 [&](std::ostream& out) { out << fleet::render_html(report); });
    }

private:
    bool terminal_;
    std::string html_;
    bool metrics_;
    std::uint16_t metrics_port_;
    bool shown_ = false;
    std::chrono::steady_clock::time_point last_line_{};
    std::mutex metrics_mutex_;
    std::string metrics_text_ = "# no snapshot yet\n";
    std::unique_ptr<fleet::MetricsServer> server_;
};

} // namespace fota::sim::cli
