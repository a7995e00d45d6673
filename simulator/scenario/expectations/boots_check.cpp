// Expectation boots, checked: observed once per poll until it holds or its time is up
// (parsed and described in boots.cpp).
#include "runner/src/run_context.hpp"

namespace fota::sim::runner::expectations {

void check_boots(const RunContext& run, const Expectation& e, Check& check, Tally& tally) {
    check.expected = "boots " + describe_range(e.count);
    for (const Device* d : run.select(e.devices)) {
        const std::uint32_t boots = d->started ? run.status_of(*d).boots : 0;
        tally.add(d->thing, in_range(e.count, boots), std::to_string(boots) + " boots");
    }
}

} // namespace fota::sim::runner::expectations
