// Exhaustive and seeded-random power-cut sweeps over the boot model and the record store.
//
// A case is (sweep, setup, plans): restore the prepared flash, run the scenario once per plan
// (each plan cuts the power somewhere), then once more without faults, and check the
// invariants. A case prints as one replay line:
//   sweep=upgrade-test setup=small plan=cut@57:torn:seed=1234
// (several plans are joined by '|'; a plan whose cut is not reached ends a multi-cut case).
#pragma once

#include "fota/flash/fault_plan.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fota::flash::test {

struct SweepCase {
    std::string sweep; ///< upgrade-test, upgrade-permanent, revert, store, download
    std::string setup; ///< a setup_named() name
    std::vector<FaultPlan> plans;

    std::string replay_line() const;
    static Result<SweepCase> parse(std::string_view line);
};

/// Flash operations of the scenario when nothing goes wrong.
std::uint64_t count_operations(const std::string& sweep, const std::string& setup);

/// Runs one case; returns an empty string when every invariant holds, else what was wrong.
std::string run_case(const SweepCase& sweep_case);

struct SweepReport {
    std::uint64_t operations = 0; ///< N of the clean run
    std::uint64_t cases = 0;
    std::uint64_t failures = 0;
    std::vector<std::string> failure_lines; ///< "FAIL at op i of N: <replay line> -- <why>"
};

/// For every operation i in 1..N: a cut before i, and a torn cut in i.
SweepReport exhaustive_sweep(const std::string& sweep, const std::string& setup);

/// `count` cases of 1 to 5 cuts each at seeded random operations (replayable from the line).
SweepReport random_sweep(const std::string& sweep, const std::string& setup, std::uint64_t seed,
                         std::uint64_t count);

} // namespace fota::flash::test
