// The invariants of an update that no power cut may break, checked once the run's updates have
// settled (RunnerOptions::update_invariants: `fota-sim run --cut-at` and every case of
// `fota-sim sweep`). Per started device:
//   boots a valid image   it runs (not bricked, not off), and its primary slot holds one of the
//                         scenario's images byte for byte, of the version it reports running;
//   confirmed             on the image it started with or the image of one of its jobs;
//   job agrees            the last job with an execution on it is SUCCEEDED exactly when the
//                         device runs that job's image (profile seed: SUCCEEDED on the old image
//                         after the boot loader reverted the new one is FB-10, the seed flow's
//                         documented limit, reported as passed with "known limit FB-10" in
//                         observed; after it rejected a corrupt download it is a failure);
//   nothing in progress   no execution of the run's jobs on it is QUEUED or IN_PROGRESS.
#pragma once

#include "run_context.hpp"

#include <chrono>

namespace fota::sim::runner {

/// What observed starts with when an invariant holds only by a known limit of the profile.
inline constexpr const char* kKnownLimitPrefix = "known limit FB-10: ";

/// Lets the world run on the stack's clock (polling every second, at most `limit`) until every
/// started device runs a confirmed image and none of the run's executions on it is QUEUED or
/// IN_PROGRESS. Returns whether they settled. Ignores the scenario's deadline.
bool settle_updates(RunContext& run, std::chrono::milliseconds limit);

/// Adds one result per invariant (all devices in each) to the run's report; returns whether all
/// held. `settled` (from settle_updates) is said in the results' observed text when false.
bool check_update_invariants(RunContext& run, bool settled, RunTime started);

} // namespace fota::sim::runner
