// What `fota-sim fleet` and `fota-sim report merge` show and write: the live progress line on
// stderr (rewritten in place on a terminal, a plain line every 10 s otherwise), the reports.
#pragma once

#include "fota/sim/fleet_report.hpp"
#include "fota/sim/fleet_summary.hpp"

#include <chrono>
#include <fstream>
#include <iostream>
#include <string>

namespace fota::sim::cli {

inline std::string fleet_summary(const fleet::FleetReport& report) {
    return fleet::summary_text(report);
}

/// Writes text to path; false (and why on stderr) when it cannot.
inline bool write_text_file(const std::string& path, const std::string& text,
                            const std::string& what) {
    std::ofstream out(path, std::ios::binary);
    out << text;
    out.close();
    if (!out) {
        std::cerr << "fota-sim: cannot write the " << what << " to " << path << "\n";
        return false;
    }
    return true;
}

class FleetOutput {
public:
    FleetOutput(bool terminal, std::string html, bool metrics, std::uint16_t metrics_port)
        : terminal_(terminal), html_(std::move(html)), metrics_(metrics),
          metrics_port_(metrics_port) {}

    /// Starts what serves while the run goes (Prometheus metrics).
    void start() {
        if (metrics_) {
            (void)metrics_port_;
            throw std::runtime_error("--metrics-port: not built into this fota-sim yet");
        }
    }

    void progress(const fleet::FleetReport& snapshot, bool final) {
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
        if (!json.empty() &&
            !write_text_file(json, report.to_json().dump(2) + "\n", "JSON report")) {
            return false;
        }
        if (!html_.empty()) {
            std::cerr << "fota-sim: --html: not built into this fota-sim yet\n";
            return false;
        }
        return true;
    }

private:
    bool terminal_;
    std::string html_;
    bool metrics_;
    std::uint16_t metrics_port_;
    bool shown_ = false;
    std::chrono::steady_clock::time_point last_line_{};
};

} // namespace fota::sim::cli
