// Expectation no_execution_in_progress: no device's execution (of a job, or of any) is left
// IN_PROGRESS.
#include "scenario/expectations/expectation_kinds.hpp"
#include "scenario/parse_context.hpp"

namespace fota::sim::expectations {

std::optional<Expectation> parse_no_execution_in_progress(ParseContext& context,
                                                          const YAML::Node& body,
                                                          const std::string& here) {
    bool ok = true;
    auto e = context.expectation(body, here, {"job"}, {}, ok);
    if (!e) {
        return std::nullopt;
    }
    context.expectation_job(body, here, *e, ok);
    return ok ? e : std::nullopt;
}

std::string describe_no_execution_in_progress(const Expectation& e) {
    return e.job.empty() ? ": no execution left IN_PROGRESS"
                         : ": no execution of job " + e.job + " left IN_PROGRESS";
}

} // namespace fota::sim::expectations
