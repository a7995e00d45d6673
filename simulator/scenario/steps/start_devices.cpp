// Step start_devices: power on devices of groups with autostart false.
#include "scenario/parse_context.hpp"

namespace fota::sim::steps {

std::optional<StartDevicesStep> parse_start_devices(ParseContext& context, const YAML::Node& body,
                                                    const std::string& here) {
    auto devices = context.devices_only(body, here);
    if (!devices) {
        return std::nullopt;
    }
    return StartDevicesStep{*devices};
}

} // namespace fota::sim::steps
