// Step reboot, executed: each started device reboots cleanly (parsed in reboot.cpp).
#include "runner/src/run_context.hpp"

namespace fota::sim::runner::steps {

bool run_reboot(RunContext& run, const RebootStep& reboot, const Step&) {
    for (const Device* d : run.started(reboot.devices)) {
        d->device->reboot();
    }
    return true;
}

} // namespace fota::sim::runner::steps
