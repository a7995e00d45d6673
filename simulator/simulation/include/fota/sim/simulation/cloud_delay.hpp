// How long the simulated cloud takes to send a message once it has computed it (stack `sim`).
//
// On AWS IoT the Jobs and Shadow services are not the broker: a reply to a device's request and a
// notification caused by a control call are each handed to the message broker by a service, and
// each leaves after its own delay. AWS documents no order between them: the Jobs reply and the
// notify/notify-next a change causes come in an unspecified order
// (shared/spec/aws-iot-jobs-shadow.md §2.7 step 4), and a shadow's update/accepted and
// update/delta may arrive in either order (§6.4, "Ordering"). So a $next/get reply computed just
// before a job was created can reach the device after that job's notify-next, which a broker that
// publishes in the order the services compute can never show (the plugin on Mosquitto does not).
//
// The model: each message the cloud publishes waits a delay of its own, drawn from the scheduler's
// seeded generator, before it enters the broker (then the device's connection keeps it in order
// with what the broker sends after it). Mostly a fast internal hop, sometimes a slow one, rarely a
// stall, as service-to-broker hand-offs behave under load:
//   - 90 %: uniform in [fast_min, fast_max]        (5 to 50 ms)
//   - 9 %:  uniform in (fast_max, slow_max]        (50 to 500 ms)
//   - 1 %:  uniform in (slow_max, stall_max]       (0.5 to 2 s)
// These figures are a model, not a measurement of AWS: they make every order of two messages
// computed within a few hundred milliseconds of each other reachable by some seed, and keep every
// delay far below the device's own timeouts (30 s for an update's reply).
#pragma once

#include "fota/sim/simulation/scheduler.hpp"

#include <cstdint>

namespace fota::sim::simulation {

struct CloudDelayOptions {
    /// false: every message enters the broker at once, in the order the cloud computed it (the
    /// Mosquitto plugin's behaviour).
    bool enabled = true;
    Duration fast_min{std::chrono::milliseconds(5)};
    Duration fast_max{std::chrono::milliseconds(50)};
    Duration slow_max{std::chrono::milliseconds(500)};
    Duration stall_max{std::chrono::seconds(2)};
    std::uint32_t slow_per_thousand = 90;  ///< share of slow hops, per thousand messages
    std::uint32_t stall_per_thousand = 10; ///< share of stalls, per thousand messages
};

/// One message's delay under `options` (zero when disabled), drawn from `random`. The bands are
/// taken in order fast, slow, stall; a band whose upper bound is not above the previous one's
/// collapses to that bound.
Duration draw_cloud_delay(Random& random, const CloudDelayOptions& options);

} // namespace fota::sim::simulation
