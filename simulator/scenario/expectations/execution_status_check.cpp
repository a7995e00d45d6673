// Expectation execution_status, checked: observed once per poll until it holds or its time is up
// (parsed and described in execution_status.cpp).
#include "runner/src/run_context.hpp"

namespace fota::sim::runner::expectations {

using json = nlohmann::json;

void check_execution_status(const RunContext& run, const Expectation& e, Check& check,
                            Tally& tally) {
    check.expected = "execution of " + e.job + " " + to_string(e.execution_status);
    if (e.status_details) {
        check.expected += " with statusDetails " + e.status_details->dump();
    }
    const auto selected = run.select(e.devices);
    const auto found = run.executions(e.job, selected);
    for (std::size_t i = 0; i < selected.size(); ++i) {
        const Device* d = selected[i];
        const json& x = found[i];
        const std::string status = x.is_object() ? x.value("status", "?") : "none";
        bool ok = status == to_string(e.execution_status);
        std::string value = status;
        if (e.status_details) {
            const json details =
                x.is_object() ? x.value("statusDetails", json::object()) : json::object();
            ok = ok && status_details_match(*e.status_details, details);
            value += " " + details.dump();
        }
        tally.add(d->thing, ok, value);
    }
}

} // namespace fota::sim::runner::expectations
