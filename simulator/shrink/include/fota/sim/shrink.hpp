// Shrinking a failing scenario (fota-sim shrink): delta debugging over the scenario file itself.
// The run is made on the sim stack with a fixed seed; a power cut of `fota-sim run --cut-at`
// becomes the file's first step (a flash_fault that counts from the device's first power-on, the
// same run) and `--invariants` the file's `invariants: true`, so the result fails on its own.
// The failure kept is one failing result (an invariant when one failed, else the first failing
// expectation or step), matched by name without its line number and by what the failing devices
// showed without their names (so that "FAILED" does not slip into "still IN_PROGRESS" once the
// steps that waited are gone). Passes, repeated until none
// removes anything: steps, expectations, device groups, each group's count, unused firmware, each
// image's size (halved down to 4 KiB). A candidate that does not parse is a candidate that does
// not fail: no pass needs to know what refers to what.
#pragma once

#include "fota/sim/scenario_runner.hpp"

#include <cstddef>
#include <functional>
#include <optional>
#include <set>
#include <string>

namespace fota::sim {

struct ShrinkOptions {
    RunnerOptions runner;        ///< seed and interrupted; the stack is replaced by sim
    std::optional<FlashCut> cut; ///< becomes the first step
    bool invariants = false;     ///< becomes `invariants: true`
    std::size_t max_runs = 5000; ///< stop shrinking after this many runs (the result still fails)
};

struct ShrinkResult {
    /// The scenario, made self-contained (stack sim, its seed, the cut as a step), failed: else
    /// error says why and nothing was shrunk.
    bool reproduced = false;
    std::string error;
    std::string target; ///< the failing result kept ("invariant: every job agrees with the image")
    std::string yaml;   ///< the smallest failing scenario found
    std::size_t runs = 0;
    std::size_t devices_before = 0, devices_after = 0;
    std::size_t steps_before = 0, steps_after = 0;
    std::size_t expectations_before = 0, expectations_after = 0;
    std::uint64_t image_bytes_before = 0, image_bytes_after = 0;
};

/// One line of progress ("steps: 7 -> 3 (41 runs)").
using ShrinkProgress = std::function<void(const std::string& line)>;

/// Shrinks the scenario file at path. Never throws for a run's failure.
ShrinkResult shrink_scenario(const std::string& path, const ShrinkOptions& options,
                             const ShrinkProgress& progress = {});

/// A result's name without the " (line N)" a step failure carries.
std::string failure_name(const std::string& result_name);
/// The distinct values of a result's observed text ("dev-1: FAILED; dev-4: FAILED" gives
/// {"FAILED"}), without the device names and the "... (N devices)" tail.
std::set<std::string> failure_values(const std::string& observed);

} // namespace fota::sim
