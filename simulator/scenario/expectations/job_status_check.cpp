// Expectation job_status, checked: observed once per poll until it holds or its time is up
// (parsed and described in job_status.cpp).
#include "runner/src/run_context.hpp"

namespace fota::sim::runner::expectations {

using json = nlohmann::json;

void check_job_status(const RunContext& run, const Expectation& e, Check& check, Tally& tally) {
    check.expected = "job " + e.job + " " + to_string(e.job_status);
    const json reply = run.stack().call("describe_job", {{"jobId", e.job}}, true);
    const std::string status = reply.contains("job") ? reply["job"].value("status", "?") : "none";
    tally.add("job " + e.job, status == to_string(e.job_status), status);
}

} // namespace fota::sim::runner::expectations
