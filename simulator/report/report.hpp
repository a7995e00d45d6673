// Results of scenario runs, and the three ways they are written: JUnit XML for CI (Jenkins and
// GitLab read it), a JSON report with each device's phases, and a summary for a terminal. The
// runner fills ScenarioReport; nothing here runs anything.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fota::sim {

/// passed: every expectation held. failed: an expectation did not hold (or a wait_for/hold step
/// failed). error: the scenario could not be run to its end for a reason that is not the
/// device's (invalid file, the stack did not start, the deadline passed, Ctrl-C).
enum class Outcome { passed, failed, error };

const char* to_string(Outcome outcome);

/// One checked expectation (or a failed wait_for/hold step, reported the same way).
struct ExpectationResult {
    std::string name; ///< label, e.g. "execution_status: job fw-1 on all devices is SUCCEEDED"
    bool passed = false;
    bool evaluated = true; ///< false when the run stopped before this check (reported as skipped)
    std::string expected;  ///< what the scenario asked for
    std::string observed;  ///< what was there at the deadline (per device when it differs)
    int line = 0;          ///< line in the scenario file, 0 if unknown
    double seconds = 0;    ///< time spent evaluating (including waiting for `within`)
};

/// A phase a device went through, at a time relative to the scenario's start.
struct PhaseEvent {
    /// A DevicePhase name ("downloading", ...), or "power_cut": the timeline also shows where
    /// the power went (not a phase: expectations cannot name it).
    std::string phase;
    std::chrono::milliseconds at{0}; ///< since the scenario started
    std::string detail;              ///< optional: job id, byte count, reason
};

struct DeviceReport {
    std::string thing;
    std::string running_version; ///< at the end of the run
    bool confirmed = false;
    std::uint32_t boots = 0;
    /// Flash writes and page erases since the first power-on (fota-sim sweep counts them).
    std::uint64_t flash_operations = 0;
    std::vector<PhaseEvent> phases; ///< in time order
};

struct ScenarioReport {
    std::string name;
    std::string file; ///< as passed to fota-sim run (used in the reproduce command)
    /// Options of the run that the reproduce command must repeat, as (flag, value) pairs, e.g.
    /// {"--control-url", "http://127.0.0.1:8443"} for a run on a running stack; an empty value
    /// is a flag alone ("--invariants").
    std::vector<std::pair<std::string, std::string>> run_options;
    std::string description;
    std::uint64_t seed = 0;
    Outcome outcome = Outcome::error;
    std::string error; ///< for Outcome::error: what went wrong
    std::chrono::system_clock::time_point started_at{};
    double seconds = 0;
    std::vector<ExpectationResult> expectations;
    std::vector<DeviceReport> devices;
    std::string log; ///< the run's log lines (JUnit system-out)
};

/// The one command that reproduces a run: "fota-sim run <file> --seed <seed>" and the run's
/// run_options, each word quoted for a POSIX shell when it needs it.
std::string reproduce_command(const ScenarioReport& report);

/// Exit code of `fota-sim run`: 0 when there was at least one scenario and every one passed; 2 when
/// any scenario ended in error (or there were none); otherwise 1 (some expectation failed).
int exit_code(const std::vector<ScenarioReport>& reports);

/// JUnit XML: <testsuites> with one <testsuite> per scenario; in each, a test case for the scenario
/// as a whole and one per expectation. Failures carry "expected ..., observed ..." and the
/// reproduce command. Valid against the JUnit schema Jenkins and GitLab read (see
/// tests/simulator/scenario/junit.xsd). Text that XML 1.0 cannot hold (control characters,
/// invalid UTF-8) is replaced, never written raw.
void write_junit_xml(std::ostream& out, const std::vector<ScenarioReport>& reports);

/// The JSON report: {"scenarios":[{name, file, seed, outcome, reproduce, started_at, seconds,
/// expectations:[...], devices:[{thing, running_version, confirmed, boots, flash_operations,
/// phases:[{phase, at_ms, at, detail}]}]}], "summary":{...}}.
nlohmann::json json_report(const std::vector<ScenarioReport>& reports);
void write_json_report(std::ostream& out, const std::vector<ScenarioReport>& reports);

/// A human summary: one line per scenario, and for each failure the expectation, expected and
/// observed, the file line, and the reproduce command. color adds ANSI colours (for a tty).
void write_terminal_summary(std::ostream& out, const std::vector<ScenarioReport>& reports,
                            bool color = false);

/// ISO 8601 UTC without a zone suffix ("2026-11-29T02:03:04"), as JUnit's timestamp wants it.
std::string iso8601(std::chrono::system_clock::time_point time);

} // namespace fota::sim
