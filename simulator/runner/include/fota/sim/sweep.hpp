// The power-cut sweep behind `fota-sim sweep`: one clean run of a scenario on the sim stack counts
// every flash operation one device makes (download writes and erases, store writes, the upgrade
// request, the boot loader's swap, the confirmation); then, for every operation, one run cuts the
// power just before it and one in its middle (torn), lets the device power on again and run on,
// and checks the update invariants (runner/src/update_invariants.hpp) and the file's own
// expectations. Each case is an ordinary run with RunnerOptions::flash_cut, so a failure is
// reproduced by its one-line `fota-sim run FILE --seed S --stack sim --cut-at N:torn`.
//
// Cases run in worker processes (fork, before any thread exists): the sim stack is one thread
// per run, so workers scale with cores; a worker that crashes is reported against the case it
// was running.
#pragma once

#include "fota/sim/scenario_runner.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace fota::sim {

struct SweepOptions {
    /// How each run is made (seed, interrupted, ...); its stack is replaced by sim.
    RunnerOptions runner;
    std::string thing; ///< the device cut; empty: the scenario's first
    std::uint64_t first_operation = 1;
    std::uint64_t last_operation = 0; ///< 0: the last the clean run counted
    bool before = true;               ///< cut just before each operation
    bool torn = true;                 ///< cut in the middle of each operation
    std::chrono::milliseconds off_for{1000};
    unsigned workers = 1; ///< processes running cases (1: in this process)
    /// A case passes only when the file's expectations hold too; otherwise only the invariants
    /// decide (a cut may rightly make an update slower than the file's timeouts, or revert it).
    bool strict = false;
};

enum class CaseVerdict {
    passed,       ///< invariants and expectations held
    known_limit,  ///< the invariants held by the profile's documented limit (FB-10)
    expectations, ///< the invariants held, some of the file's expectations did not
    failed,       ///< an invariant did not hold
    error,        ///< the run could not be finished (deadline, a crashed worker, ...)
};

const char* to_string(CaseVerdict verdict);

struct SweepCase {
    std::uint64_t operation = 0;
    bool torn = false;
    CaseVerdict verdict = CaseVerdict::error;
    std::string detail;    ///< the first failing invariant or expectation (expected, observed)
    std::string reproduce; ///< fota-sim run ... --cut-at N[:torn]
};

struct SweepReport {
    std::string file;
    std::uint64_t seed = 0;
    std::string thing;
    std::uint64_t operations = 0; ///< the device's flash operations in the clean run
    ScenarioReport clean;         ///< the clean run (with the invariants)
    std::vector<SweepCase> cases; ///< by operation, before then torn; only the cases run
    std::size_t planned = 0;      ///< cases the sweep meant to run
    double seconds = 0;           ///< wall time of the whole sweep
    bool interrupted = false;

    std::size_t count(CaseVerdict verdict) const;
    /// Whether the sweep found nothing wrong: the clean run passed, every planned case ran, and
    /// none failed or ended in error (nor, strict, broke an expectation).
    bool passed(bool strict) const;
};

/// A case's verdict (and detail, reproduce) from its run's report: error when the run could not
/// finish; failed at a broken invariant; known_limit when an invariant held by FB-10;
/// expectations when only the file's expectations broke; else passed.
void judge_case(const ScenarioReport& report, SweepCase& c);

/// Called after each case, in the order cases finish.
using SweepProgress =
    std::function<void(const SweepCase& done, std::size_t finished, std::size_t planned)>;

/// Runs one case by its index; records one finished case by its index.
using CaseRunner = std::function<SweepCase(std::size_t index)>;
using CaseRecorder = std::function<void(std::size_t index, const SweepCase& result)>;

/// Runs run_one(i) for every i in [0, count) in `workers` forked processes (worker w takes w,
/// w + workers, ...; each stops early once stop() is true) and records each result in this
/// process as it arrives. A worker that dies is recorded as an error against the case it was
/// running (verdict, detail "... died of signal N ..."); its later cases are not run. Throws
/// std::runtime_error when a worker cannot be started. run_sweep's engine, exposed for tests.
void run_in_workers(std::size_t count, unsigned workers, const CaseRunner& run_one,
                    const std::function<bool()>& stop, const CaseRecorder& record);

/// Runs the sweep. A clean run that does not pass ends it before any cut (report.clean says
/// why, report.cases is empty). Never throws for a run's failure; throws std::runtime_error
/// when the workers cannot be started.
SweepReport run_sweep(const Scenario& scenario, const SweepOptions& options,
                      const SweepProgress& progress = {});

/// {"file", "seed", "thing", "operations", "planned", "seconds", "interrupted", "counts": {...},
///  "clean": {outcome, reproduce}, "cases": [{operation, torn, verdict, detail, reproduce}]}
nlohmann::json sweep_json(const SweepReport& report);

} // namespace fota::sim
