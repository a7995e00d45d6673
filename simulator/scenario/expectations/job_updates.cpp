// Expectation job_updates: per device, the number of job updates published (optionally only
// those with a status).
#include "scenario/expectations/expectation_kinds.hpp"
#include "scenario/parse_context.hpp"

namespace fota::sim::expectations {

std::optional<Expectation> parse_job_updates(ParseContext& context, const YAML::Node& body,
                                             const std::string& here) {
    bool ok = true;
    auto e = context.expectation(body, here, {"job", "devices", "status", "count"},
                                 {"job", "count"}, ok);
    if (!e) {
        return std::nullopt;
    }
    context.expectation_job(body, here, *e, ok);
    context.expectation_devices(body, here, *e, ok);
    e->update_status = context.expectation_execution_status(body, here, *e, ok);
    context.expectation_range(body, "count", here, false, e->count, ok);
    return ok ? e : std::nullopt;
}

std::string describe_job_updates(const Expectation& e) {
    std::string text = ": " + devices_text(e.devices) + " sent " + range_text(e.count) + " updates";
    if (e.update_status) {
        text += std::string(" with status ") + to_string(*e.update_status);
    }
    return text + " for job " + e.job;
}

} // namespace fota::sim::expectations
