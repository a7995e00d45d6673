// The fleet page's script and style (src/fleet_html.js and .css), embedded at build time.
#pragma once

#include <string_view>

namespace fota::sim::fleet {

extern const std::string_view kFleetHtmlScript;
extern const std::string_view kFleetHtmlStyle;

} // namespace fota::sim::fleet
