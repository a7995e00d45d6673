// Expectation phases: the phases each device reached, and those it did not reach.
#include "scenario/expectations/expectation_kinds.hpp"
#include "scenario/parse_context.hpp"

namespace fota::sim::expectations {

std::optional<Expectation> parse_phases(ParseContext& context, const YAML::Node& body,
                                        const std::string& here) {
    bool ok = true;
    auto e = context.expectation(body, here, {"devices", "reached", "not_reached"}, {}, ok);
    if (!e) {
        return std::nullopt;
    }
    context.expectation_devices(body, here, *e, ok);
    context.phase_list(body, "reached", here, e->reached, ok);
    context.phase_list(body, "not_reached", here, e->not_reached, ok);
    if (e->reached.empty() && e->not_reached.empty() && ok) {
        context.reader().error(body, here + " needs 'reached', 'not_reached' or both");
        ok = false;
    }
    for (auto p : e->reached) {
        if (std::find(e->not_reached.begin(), e->not_reached.end(), p) != e->not_reached.end()) {
            context.reader().error(body, here + " lists phase '" + to_string(p) +
                                             "' as both reached and not reached");
            ok = false;
        }
    }
    return ok ? e : std::nullopt;
}

std::string describe_phases(const Expectation& e) {
    std::string text = ": " + devices_text(e.devices);
    for (auto phase : e.reached) {
        text += std::string(" +") + to_string(phase);
    }
    for (auto phase : e.not_reached) {
        text += std::string(" -") + to_string(phase);
    }
    return text;
}

} // namespace fota::sim::expectations
