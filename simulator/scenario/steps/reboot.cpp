// Step reboot: a clean reboot of devices, requested from outside.
#include "scenario/parse_context.hpp"

namespace fota::sim::steps {

std::optional<RebootStep> parse_reboot(ParseContext& context, const YAML::Node& body,
                                       const std::string& here) {
    auto devices = context.devices_only(body, here);
    if (!devices) {
        return std::nullopt;
    }
    return RebootStep{*devices};
}

} // namespace fota::sim::steps
