// Fleet reports made up for the report tests (HTML page, Prometheus text): one from a seeded
// simulated fleet, one with nothing in it, one stopped part-way, one with hostile text.
#pragma once

#include "fota/sim/fleet_report.hpp"

#include <string_view>

namespace fota::sim::fleet::test {

/// "full": 1,200 devices on 2 shards, every phase sampled, some failures and errors, two limits.
/// "empty": no device, no sample, an empty timeline. "partial": stopped by a timeout while
/// devices were connecting (two phases, two milestones). "hostile": "full"'s numbers with
/// </script>, <!--, quotes, backslashes, line feeds, U+2028 and an invalid UTF-8 byte in its text.
/// Throws std::invalid_argument for another name.
FleetReport sample_report(std::string_view name);

} // namespace fota::sim::fleet::test
