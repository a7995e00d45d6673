// Step cancel_job, executed: CancelJob, or CancelJobExecution for each selected device (parsed
// in cancel_job.cpp).
#include "runner/src/run_context.hpp"

namespace fota::sim::runner::steps {

bool run_cancel_job(RunContext& run, const CancelJobStep& cancel, const Step&) {
    if (!cancel.devices) {
        run.stack().call("cancel_job", {{"jobId", cancel.job_id}, {"force", cancel.force}});
        return true;
    }
    std::vector<nlohmann::json> args;
    for (const Device* d : run.select(*cancel.devices)) {
        args.push_back(
            {{"jobId", cancel.job_id}, {"thingName", d->thing}, {"force", cancel.force}});
    }
    run.stack().call_many("cancel_job_execution", args);
    return true;
}

} // namespace fota::sim::runner::steps
