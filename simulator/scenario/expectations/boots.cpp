// Expectation boots: per device, the number of boots.
#include "scenario/expectations/expectation_kinds.hpp"
#include "scenario/parse_context.hpp"

namespace fota::sim::expectations {

std::optional<Expectation> parse_boots(ParseContext& context, const YAML::Node& body,
                                       const std::string& here) {
    bool ok = true;
    auto e = context.expectation(body, here, {"devices", "count"}, {"count"}, ok);
    if (!e) {
        return std::nullopt;
    }
    context.expectation_devices(body, here, *e, ok);
    context.expectation_range(body, "count", here, false, e->count, ok);
    return ok ? e : std::nullopt;
}

std::string describe_boots(const Expectation& e) {
    return ": " + devices_text(e.devices) + " booted " + range_text(e.count) + " times";
}

} // namespace fota::sim::expectations
