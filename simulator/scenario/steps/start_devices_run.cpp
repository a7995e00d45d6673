// Step start_devices, executed: the selected devices not yet powered are powered on (parsed in
// start_devices.cpp).
#include "runner/src/run_context.hpp"

namespace fota::sim::runner::steps {

bool run_start_devices(RunContext& run, const StartDevicesStep& start, const Step&) {
    for (const Device* d : run.select(start.devices)) {
        run.start_device(*d);
    }
    return true;
}

} // namespace fota::sim::runner::steps
