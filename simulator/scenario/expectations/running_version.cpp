// Expectation running_version: each device runs a version (and is, or is not, confirmed).
#include "scenario/expectations/expectation_kinds.hpp"
#include "scenario/parse_context.hpp"

namespace fota::sim::expectations {

std::optional<Expectation> parse_running_version(ParseContext& context, const YAML::Node& body,
                                                 const std::string& here) {
    bool ok = true;
    auto e = context.expectation(body, here, {"devices", "version", "confirmed"}, {"version"}, ok);
    if (!e) {
        return std::nullopt;
    }
    context.expectation_devices(body, here, *e, ok);
    context.expectation_version(body, here, *e, ok);
    if (body.IsMap() && body["confirmed"].IsDefined()) {
        auto value = context.reader().boolean(body["confirmed"], "'confirmed' in " + here);
        ok = ok && value.has_value();
        e->confirmed = value;
    }
    return ok ? e : std::nullopt;
}

std::string describe_running_version(const Expectation& e) {
    std::string text = ": " + devices_text(e.devices) + " run " + e.version;
    if (e.confirmed) {
        text += *e.confirmed ? ", confirmed" : ", not confirmed";
    }
    return text;
}

} // namespace fota::sim::expectations
