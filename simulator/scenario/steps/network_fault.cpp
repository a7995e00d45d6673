// Step network_fault: device-side network faults (a dropped MQTT connection, a lost message, a
// stalled HTTP transfer, no network at all).
#include "scenario/parse_context.hpp"

namespace fota::sim::steps {
namespace {

const std::vector<ParseContext::FaultKind>& network_fault_kinds() {
    // In the order of NetworkFaultStep::Kind.
    static const std::vector<ParseContext::FaultKind> table{
        {"drop_mqtt", {"devices", "at_download_byte"}, {}},
        {"lose_next_message", {"devices", "topic_suffix"}, {}},
        {"stall_http", {"devices", "duration", "at_download_byte"}, {"duration"}},
        {"offline", {"devices", "duration"}, {"duration"}},
    };
    return table;
}

} // namespace

std::optional<NetworkFaultStep> parse_network_fault(ParseContext& context, const YAML::Node& body,
                                                    const std::string& here) {
    auto& r = context.reader();
    std::string what;
    const auto index = context.fault_kind(body, here, "network_fault", network_fault_kinds(), what);
    if (!index) {
        return std::nullopt;
    }
    NetworkFaultStep fault;
    fault.kind = static_cast<NetworkFaultStep::Kind>(*index);
    bool ok = true;
    if (auto devices = context.devices_of(body, what)) {
        fault.devices = *devices;
    } else {
        ok = false;
    }
    if (body["at_download_byte"].IsDefined()) {
        fault.at_download_byte =
            r.size(body["at_download_byte"], "'at_download_byte' in " + what, 0, 16ULL << 20);
        ok = ok && fault.at_download_byte.has_value();
    }
    if (body["topic_suffix"].IsDefined()) {
        ok = context.topic_suffix(body["topic_suffix"], "'topic_suffix' in " + what,
                                  fault.topic_suffix) &&
             ok;
    }
    if (body["duration"].IsDefined()) {
        auto value = r.duration(body["duration"], "'duration' in " + what,
                                std::chrono::milliseconds(1), context.scenario().deadline);
        ok = ok && value.has_value();
        fault.duration = value.value_or(std::chrono::milliseconds(0));
    }
    return ok ? std::optional(fault) : std::nullopt;
}

} // namespace fota::sim::steps
