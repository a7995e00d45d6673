// Expectation job_status: the job has a status.
#include "scenario/expectations/expectation_kinds.hpp"
#include "scenario/parse_context.hpp"

namespace fota::sim::expectations {

std::optional<Expectation> parse_job_status(ParseContext& context, const YAML::Node& body,
                                            const std::string& here) {
    bool ok = true;
    auto e = context.expectation(body, here, {"job", "status"}, {"job", "status"}, ok);
    if (!e) {
        return std::nullopt;
    }
    context.expectation_job(body, here, *e, ok);
    if (body.IsMap() && body["status"].IsDefined()) {
        if (auto value = context.reader().choice(body["status"], "'status' in " + here,
                                                 job_status_names())) {
            e->job_status = enum_at<JobStatus>(job_status_names(), *value);
        } else {
            ok = false;
        }
    }
    return ok ? e : std::nullopt;
}

std::string describe_job_status(const Expectation& e) {
    return ": job " + e.job + " is " + to_string(e.job_status);
}

} // namespace fota::sim::expectations
