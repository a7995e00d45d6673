// Step cancel_job: CancelJob, or CancelJobExecution for the selected devices.
#include "scenario/parse_context.hpp"

namespace fota::sim::steps {

std::optional<CancelJobStep> parse_cancel_job(ParseContext& context, const YAML::Node& body,
                                              const std::string& here) {
    auto action = context.job_action(body, here);
    if (!action) {
        return std::nullopt;
    }
    return CancelJobStep{action->job, action->force, action->devices};
}

} // namespace fota::sim::steps
