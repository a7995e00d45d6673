// Step hold, executed: polls the condition for the duration; fails with a result the first time
// it does not hold (parsed in hold.cpp).
#include "runner/src/run_context.hpp"

namespace fota::sim::runner::steps {

bool run_hold(RunContext& run, const HoldStep& hold, const Step& step) {
    const RunTime started = run.stack().now();
    const RunTime until = started + hold.duration;
    while (true) {
        // holds() polls cheaply; evaluate() tells what each device showed (on a real-time stack
        // a moment later: a flicker it no longer sees is not counted).
        if (!run.holds(hold.condition)) {
            const Check check = run.evaluate(hold.condition);
            if (!check.passed) {
                run.add_result(
                    "hold " + check.expected + " (line " + std::to_string(step.mark.line) + ")",
                    false, check.expected + " for " + std::to_string(hold.duration.count()) + " ms",
                    check.observed, step.mark.line, started);
                return false;
            }
        }
        if (run.stack().now() >= until) {
            return true;
        }
        run.pause();
    }
}

} // namespace fota::sim::runner::steps
