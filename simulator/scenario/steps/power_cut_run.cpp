// Step power_cut, executed: cuts each started device's power now, inside the swap, or arms the
// recorder to cut it when the device enters a phase (parsed in power_cut.cpp).
#include "runner/src/run_context.hpp"

namespace fota::sim::runner::steps {

bool run_power_cut(RunContext& run, const PowerCutStep& cut, const Step&) {
    std::uint64_t index = 0;
    for (const Device* d : run.started(cut.devices)) {
        ++index;
        if (!cut.at_phase) {
            d->device->cut_power(cut.off_for);
        } else if (*cut.at_phase == DevicePhase::swapping) {
            // The swap runs inside the boot loader: the cut is placed at one of its flash
            // operations, chosen from the seed.
            d->device->cut_power_during_swap(cut.off_for, run.seed() * 7'919u + index);
        } else {
            run.recorder().arm_cut(d->thing, *cut.at_phase, cut.after_download_bytes.value_or(0),
                                   cut.off_for);
        }
    }
    return true;
}

} // namespace fota::sim::runner::steps
