// The cloud's internal delay per message (cloud_delay.hpp).
#include "fota/sim/simulation/cloud_delay.hpp"

#include <algorithm>

namespace fota::sim::simulation {

namespace {

/// Uniform in [low, high]; high when the band is empty (high <= low).
Duration uniform(Random& random, Duration low, Duration high) {
    if (high <= low) {
        return high;
    }
    const auto span = static_cast<std::uint64_t>((high - low).count());
    return low + Duration(static_cast<Duration::rep>(random.below(span + 1)));
}

} // namespace

Duration draw_cloud_delay(Random& random, const CloudDelayOptions& options) {
    if (!options.enabled) {
        return Duration(0);
    }
    const Duration fast_max = std::max(options.fast_min, options.fast_max);
    const Duration slow_max = std::max(fast_max, options.slow_max);
    const Duration stall_max = std::max(slow_max, options.stall_max);
    const std::uint64_t band = random.below(1000);
    if (band < options.stall_per_thousand) {
        return uniform(random, slow_max + Duration(1), stall_max);
    }
    if (band < static_cast<std::uint64_t>(options.stall_per_thousand) + options.slow_per_thousand) {
        return uniform(random, fast_max + Duration(1), slow_max);
    }
    return uniform(random, options.fast_min, fast_max);
}

} // namespace fota::sim::simulation
