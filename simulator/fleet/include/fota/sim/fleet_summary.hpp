// What a person reads of a fleet run on a terminal: the live progress line and the summary
// (a table of phases with p50/p90/p99/max, throughput, errors, cost, limits).
#pragma once

#include "fota/sim/fleet_report.hpp"

#include <string>

namespace fota::sim::fleet {

/// One line: elapsed time, devices per milestone, done per second, errors.
std::string progress_line(const FleetReport& snapshot);

/// The summary of a finished run (several lines, ending with a newline).
std::string summary_text(const FleetReport& report);

/// "850 ms", "2.31 s", "1m 04s".
std::string format_duration_ms(double milliseconds);

} // namespace fota::sim::fleet
