// Expectation no_execution_in_progress, checked: observed once per poll until it holds or its time
// is up (parsed and described in no_execution_in_progress.cpp).
#include "runner/src/run_context.hpp"

namespace fota::sim::runner::expectations {

using json = nlohmann::json;

void check_no_execution_in_progress(const RunContext& run, const Expectation& e, Check& check,
                                    Tally& tally) {
    check.expected = "no execution IN_PROGRESS";
    const std::vector<std::string> jobs =
        e.job.empty() ? run.jobs() : std::vector<std::string>{e.job};
    const auto all = run.select(DeviceSelector{});
    for (const std::string& job : jobs) {
        const auto found = run.executions(job, all);
        for (std::size_t i = 0; i < all.size(); ++i) {
            const json& x = found[i];
            const std::string status = x.is_object() ? x.value("status", "?") : "none";
            tally.add(all[i]->thing + " (" + job + ")", status != "IN_PROGRESS", status);
        }
    }
}

} // namespace fota::sim::runner::expectations
