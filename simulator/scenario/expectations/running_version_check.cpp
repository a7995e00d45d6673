// Expectation running_version, checked: observed once per poll until it holds or its time is up
// (parsed and described in running_version.cpp).
#include "runner/src/run_context.hpp"

namespace fota::sim::runner::expectations {

void check_running_version(const RunContext& run, const Expectation& e, Check& check,
                           Tally& tally) {
    check.expected = "running " + e.version;
    if (e.confirmed) {
        check.expected += *e.confirmed ? " (confirmed)" : " (not confirmed)";
    }
    for (const Device* d : run.select(e.devices)) {
        if (!d->started) {
            tally.add(d->thing, false, "off");
            continue;
        }
        const StackDevice::Status s = run.status_of(*d);
        const bool ok = same_version(s.running_version, e.version) &&
                        (!e.confirmed || s.confirmed == *e.confirmed);
        tally.add(d->thing, ok,
                  s.running_version + (s.confirmed ? " (confirmed)" : " (not confirmed)"));
    }
}

} // namespace fota::sim::runner::expectations
