// Expectation downloads, checked: observed once per poll until it holds or its time is up
// (parsed and described in downloads.cpp).
#include "runner/src/run_context.hpp"

namespace fota::sim::runner::expectations {

void check_downloads(const RunContext& run, const Expectation& e, Check& check, Tally& tally) {
    check.expected = "download attempts " + describe_range(e.download_attempts) +
                     ", range requests " + describe_range(e.range_requests) + ", bytes " +
                     describe_range(e.bytes);
    for (const Device* d : run.select(e.devices)) {
        const std::uint64_t attempts = run.recorder().download_attempts(d->thing);
        const StackDevice::Status s = d->started ? run.status_of(*d) : StackDevice::Status{};
        const bool ok = in_range(e.download_attempts, attempts) &&
                        in_range(e.range_requests, s.http_requests) &&
                        in_range(e.bytes, s.download_bytes);
        tally.add(d->thing, ok,
                  "attempts " + std::to_string(attempts) + ", range requests " +
                      std::to_string(s.http_requests) + ", bytes " +
                      std::to_string(s.download_bytes));
    }
}

} // namespace fota::sim::runner::expectations
