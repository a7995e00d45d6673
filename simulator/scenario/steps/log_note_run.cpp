// Step log_note, executed: the line goes into the run's log (parsed in log_note.cpp).
#include "runner/src/run_context.hpp"

namespace fota::sim::runner::steps {

bool run_log_note(RunContext& run, const LogNoteStep& note, const Step& step) {
    run.recorder().add_log_line("note (line " + std::to_string(step.mark.line) + "): " + note.text);
    return true;
}

} // namespace fota::sim::runner::steps
