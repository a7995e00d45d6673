// Step delete_job: DeleteJob, or DeleteJobExecution for the selected devices.
#include "scenario/parse_context.hpp"

namespace fota::sim::steps {

std::optional<DeleteJobStep> parse_delete_job(ParseContext& context, const YAML::Node& body,
                                              const std::string& here) {
    auto action = context.job_action(body, here);
    if (!action) {
        return std::nullopt;
    }
    return DeleteJobStep{action->job, action->force, action->devices};
}

} // namespace fota::sim::steps
