// Step delete_job, executed: DeleteJob, or DeleteJobExecution of the current execution of each
// selected device that has one (parsed in delete_job.cpp).
#include "runner/src/run_context.hpp"

namespace fota::sim::runner::steps {

bool run_delete_job(RunContext& run, const DeleteJobStep& del, const Step&) {
    if (!del.devices) {
        run.stack().call("delete_job", {{"jobId", del.job_id}, {"force", del.force}});
        return true;
    }
    const auto selected = run.select(*del.devices);
    const auto found = run.executions(del.job_id, selected);
    std::vector<nlohmann::json> args;
    for (std::size_t i = 0; i < selected.size(); ++i) {
        if (found[i].is_object()) {
            args.push_back({{"jobId", del.job_id},
                            {"thingName", selected[i]->thing},
                            {"executionNumber", found[i].value("executionNumber", 1)},
                            {"force", del.force}});
        }
    }
    run.stack().call_many("delete_job_execution", args);
    return true;
}

} // namespace fota::sim::runner::steps
