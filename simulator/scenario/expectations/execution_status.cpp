// Expectation execution_status: the job execution of each device has a status (and statusDetails
// with given fields).
#include "scenario/expectations/expectation_kinds.hpp"
#include "scenario/parse_context.hpp"

namespace fota::sim::expectations {

std::optional<Expectation> parse_execution_status(ParseContext& context, const YAML::Node& body,
                                                  const std::string& here) {
    bool ok = true;
    auto e = context.expectation(body, here, {"job", "devices", "status", "status_details"},
                                 {"job", "status"}, ok);
    if (!e) {
        return std::nullopt;
    }
    context.expectation_job(body, here, *e, ok);
    context.expectation_devices(body, here, *e, ok);
    context.expectation_execution_status(body, here, *e, ok);
    if (body.IsMap() && body["status_details"].IsDefined()) {
        auto& r = context.reader();
        auto details = r.json(body["status_details"], "'status_details' in " + here);
        if (details && !details->is_object()) {
            r.error(body["status_details"], "'status_details' in " + here +
                                                " must be a map of the fields statusDetails "
                                                "must contain");
            details.reset();
        }
        ok = ok && details.has_value();
        e->status_details = details;
    }
    return ok ? e : std::nullopt;
}

std::string describe_execution_status(const Expectation& e) {
    std::string text = ": job " + e.job + " on " + devices_text(e.devices) + " is " +
                       to_string(e.execution_status);
    if (e.status_details) {
        text += " with statusDetails " +
                e.status_details->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
    return text;
}

} // namespace fota::sim::expectations
