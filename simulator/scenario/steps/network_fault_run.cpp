// Step network_fault, executed: each started device's runtime drops MQTT, loses a message,
// stalls HTTP or goes offline (parsed in network_fault.cpp).
#include "runner/src/run_context.hpp"

namespace fota::sim::runner::steps {

bool run_network_fault(RunContext& run, const NetworkFaultStep& fault, const Step&) {
    using K = NetworkFaultStep::Kind;
    for (const Device* d : run.started(fault.devices)) {
        switch (fault.kind) {
        case K::drop_mqtt:
            if (fault.at_download_byte) {
                d->device->drop_mqtt_at_download_byte(*fault.at_download_byte);
            } else {
                d->device->drop_mqtt();
            }
            break;
        case K::lose_next_message:
            d->device->lose_next_message(fault.topic_suffix);
            break;
        case K::stall_http:
            if (fault.at_download_byte) {
                d->device->stall_http_at_download_byte(*fault.at_download_byte, fault.duration);
            } else {
                d->device->stall_http_for(fault.duration);
            }
            break;
        case K::offline:
            d->device->go_offline(fault.duration);
            break;
        }
    }
    return true;
}

} // namespace fota::sim::runner::steps
