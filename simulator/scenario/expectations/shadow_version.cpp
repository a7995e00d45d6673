// Expectation shadow_version: each device's shadow reports a version.
#include "scenario/expectations/expectation_kinds.hpp"
#include "scenario/parse_context.hpp"

namespace fota::sim::expectations {

std::optional<Expectation> parse_shadow_version(ParseContext& context, const YAML::Node& body,
                                                const std::string& here) {
    bool ok = true;
    auto e = context.expectation(body, here, {"devices", "version"}, {"version"}, ok);
    if (!e) {
        return std::nullopt;
    }
    context.expectation_devices(body, here, *e, ok);
    context.expectation_version(body, here, *e, ok);
    return ok ? e : std::nullopt;
}

std::string describe_shadow_version(const Expectation& e) {
    return ": " + devices_text(e.devices) + " report " + e.version + " in the shadow";
}

} // namespace fota::sim::expectations
