// The fleet report as one self-contained HTML page (`fota-sim fleet --html`, `fota-sim report
// merge --html`): summary tables rendered here, and plots (milestones over time, latency per
// phase) drawn as SVG by an inline script from the report's JSON embedded in the page. No network,
// no external file: the page can be mailed, archived as a CI artifact or screenshotted as it is.
#pragma once

#include "fota/sim/fleet_report.hpp"

#include <string>
#include <string_view>

namespace fota::sim::fleet {

/// The page for `report`. Never throws on the report's content: text is HTML-escaped, invalid
/// UTF-8 becomes U+FFFD, and the embedded JSON cannot close its <script> block.
///
/// Contract of the page (tests/simulator/fleet/check_html_report.py checks it in Chromium): each
/// plot's <svg> gets data-drawn="N" (N lines or bars drawn, 0 for no data) once drawn; <body> gets
/// data-ready="1" when every plot has been attempted, and data-error="..." on a script error.
std::string render_html(const FleetReport& report);

/// `report`'s JSON as text that is safe inside <script type="application/json">: every '<', '>'
/// and '&' as \u003c \u003e \u0026 (so no "</script" or "<!--"), U+2028 and U+2029 as \u2028
/// \u2029; JSON.parse reads it back unchanged.
std::string json_for_script(const nlohmann::json& value);

} // namespace fota::sim::fleet
