// Expectation phases, checked: observed once per poll until it holds or its time is up
// (parsed and described in phases.cpp).
#include "runner/src/run_context.hpp"

namespace fota::sim::runner::expectations {

void check_phases(const RunContext& run, const Expectation& e, Check& check, Tally& tally) {
    check.expected = "phases reached:";
    for (const auto p : e.reached) {
        check.expected += std::string(" ") + to_string(p);
    }
    check.expected += "; not reached:";
    for (const auto p : e.not_reached) {
        check.expected += std::string(" ") + to_string(p);
    }
    for (const Device* d : run.select(e.devices)) {
        std::string wrong;
        for (const auto p : e.reached) {
            if (!run.recorder().reached(d->thing, p)) {
                wrong += std::string(" missing ") + to_string(p);
            }
        }
        for (const auto p : e.not_reached) {
            if (run.recorder().reached(d->thing, p)) {
                wrong += std::string(" reached ") + to_string(p);
            }
        }
        tally.add(d->thing, wrong.empty(), wrong.empty() ? "as expected" : wrong.substr(1));
    }
}

} // namespace fota::sim::runner::expectations
