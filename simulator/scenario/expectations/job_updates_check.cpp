// Expectation job_updates, checked: observed once per poll until it holds or its time is up
// (parsed and described in job_updates.cpp).
#include "runner/src/run_context.hpp"

namespace fota::sim::runner::expectations {

void check_job_updates(const RunContext& run, const Expectation& e, Check& check, Tally& tally) {
    // As the devices published them (the runtime reports every publish), accepted by the cloud
    // or not.
    const std::string status = e.update_status ? to_string(*e.update_status) : "";
    check.expected = "job updates of " + e.job + (status.empty() ? "" : " with status " + status) +
                     " published " + describe_range(e.count);
    for (const Device* d : run.select(e.devices)) {
        const std::uint64_t n = run.recorder().updates(d->thing, e.job, status);
        tally.add(d->thing, in_range(e.count, n), std::to_string(n) + " updates");
    }
}

} // namespace fota::sim::runner::expectations
