// The table of expectation checks: one function per expectation kind
// (simulator/scenario/expectations/<kind>_check.cpp), one line per value of Expectation::Kind as
// the parse table (expectation_kinds.cpp) has. A kind without its line here does not compile.
#include "run_context.hpp"

namespace fota::sim::runner {

namespace expectations {
// Each defined in simulator/scenario/expectations/<kind>_check.cpp: observes e once, filling
// check.expected and tallying each device (or job) observed.
void check_execution_status(const RunContext&, const Expectation&, Check&, Tally&);
void check_job_status(const RunContext&, const Expectation&, Check&, Tally&);
void check_running_version(const RunContext&, const Expectation&, Check&, Tally&);
void check_shadow_version(const RunContext&, const Expectation&, Check&, Tally&);
void check_slot(const RunContext&, const Expectation&, Check&, Tally&);
void check_downloads(const RunContext&, const Expectation&, Check&, Tally&);
void check_no_execution_in_progress(const RunContext&, const Expectation&, Check&, Tally&);
void check_phases(const RunContext&, const Expectation&, Check&, Tally&);
void check_boots(const RunContext&, const Expectation&, Check&, Tally&);
void check_job_updates(const RunContext&, const Expectation&, Check&, Tally&);
} // namespace expectations

namespace {

// One line per Expectation::Kind: -Wswitch (an error here) refuses a kind without its line.
void observe(const RunContext& run, const Expectation& e, Check& check, Tally& tally) {
    using K = Expectation::Kind;
    namespace x = expectations;
    switch (e.kind) {
    case K::execution_status:
        return x::check_execution_status(run, e, check, tally);
    case K::job_status:
        return x::check_job_status(run, e, check, tally);
    case K::running_version:
        return x::check_running_version(run, e, check, tally);
    case K::shadow_version:
        return x::check_shadow_version(run, e, check, tally);
    case K::slot:
        return x::check_slot(run, e, check, tally);
    case K::downloads:
        return x::check_downloads(run, e, check, tally);
    case K::no_execution_in_progress:
        return x::check_no_execution_in_progress(run, e, check, tally);
    case K::phases:
        return x::check_phases(run, e, check, tally);
    case K::boots:
        return x::check_boots(run, e, check, tally);
    case K::job_updates:
        return x::check_job_updates(run, e, check, tally);
    }
}

} // namespace

Check check_expectation(const RunContext& run, const Expectation& e) {
    Check check;
    Tally tally;
    observe(run, e, check, tally);
    check.passed = tally.failing == 0;
    check.observed = tally.summary();
    return check;
}

} // namespace fota::sim::runner
