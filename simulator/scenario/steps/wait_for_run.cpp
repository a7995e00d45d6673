// Step wait_for, executed: polls the condition until it holds; fails with a result after the
// timeout (parsed in wait_for.cpp).
#include "runner/src/run_context.hpp"

namespace fota::sim::runner::steps {

bool run_wait_for(RunContext& run, const WaitForStep& wait, const Step& step) {
    const RunTime started = run.stack().now();
    const RunTime until = started + wait.timeout;
    while (true) {
        if (run.holds(wait.condition)) {
            return true;
        }
        if (run.stack().now() >= until) {
            break;
        }
        run.pause();
    }
    // Timed out: the same condition at the same instant, with what each device showed.
    const Check check = run.evaluate(wait.condition);
    if (!check.passed) {
        run.add_result(
            "wait_for " + check.expected + " (line " + std::to_string(step.mark.line) + ")", false,
            check.expected + " within " + std::to_string(wait.timeout.count()) + " ms",
            check.observed, step.mark.line, started);
    }
    return check.passed;
}

} // namespace fota::sim::runner::steps
