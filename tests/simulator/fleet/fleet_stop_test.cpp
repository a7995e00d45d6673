// When a fleet run stops (fleet.hpp stop_reason): a run of 10,000 devices on the seed profile
// stopped 5 s after its job COMPLETED with two thirds of the devices still rebooting into the
// update and confirming it (the seed profile reports SUCCEEDED first); only a cancelled job
// (an abort) ends a run early.
#include "fota/sim/fleet.hpp"

#include <catch2/catch.hpp>

using namespace fota::sim::fleet;
using std::chrono::milliseconds;

TEST_CASE("a COMPLETED job does not end the run while devices are still confirming") {
    CHECK_FALSE(job_ends_run("COMPLETED"));
    CHECK_FALSE(job_ends_run("IN_PROGRESS"));
    CHECK(job_ends_run("CANCELED"));
    StopState state; // devices unsettled, job not ended
    CHECK(stop_reason(state).empty());
}

TEST_CASE("stop reasons in order: done, aborted (after a grace), timeout, interrupted") {
    StopState state;
    state.job_ended_for = milliseconds(4'000);
    CHECK(stop_reason(state).empty()); // the devices get a moment to see the cancellation
    state.job_ended_for = milliseconds(6'000);
    CHECK(stop_reason(state) == "aborted");
    state.settled = true;
    CHECK(stop_reason(state) == "done");
    StopState late;
    late.past_deadline = true;
    late.interrupted = true;
    CHECK(stop_reason(late) == "timeout");
    late.past_deadline = false;
    CHECK(stop_reason(late) == "interrupted");
}
