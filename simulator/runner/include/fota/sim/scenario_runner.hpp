// The scenario runner behind `fota-sim run`: takes a parsed scenario, starts the embedded local
// stack (a private Mosquitto with the fota plugin on free ports and the object server in this
// process) or uses a running one, publishes the firmware images, creates the things, starts the
// devices, executes the steps, checks the expectations against the cloud, the devices, the shadows
// and the flash, and fills a ScenarioReport (see report/report.hpp). Always stops what it started.
//
// What it can execute today: stacks `embedded` and `url`; every step kind (create_job with
// targets, a document or the host_path / url / presigned_url templates, description, target
// selection, rollout, abort, in-progress timeout and retry configs; wait_for, hold,
// start_devices, reboot, power_cut now / at a phase / at a download byte / during the swap,
// flash_fault, network_fault, http_fault, cloud_fault, cancel_job, delete_job, restart_broker);
// every condition and expectation; images with defects; any flash geometry. Not yet: stack
// `aws`, a url stack's broker over TLS, bit_flips / wear_out limited to a partition. Those end
// the scenario in Outcome::error with "<file>:<line>: <what> is not supported by this runner
// yet": it never passes silently.
#pragma once

#include "fota/sim/asio_device_host.hpp" // MqttImplementation
#include "report/report.hpp"
#include "scenario/scenario.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fota::sim {

/// A power cut at one flash operation of one device (`fota-sim run --cut-at`, and each case of
/// `fota-sim sweep`). Operations are the flash's writes and page erases, the boot loader's
/// included, counted from the device's first power-on (installing the initial image is not one).
struct FlashCut {
    std::string thing;           ///< empty: the scenario's first device
    std::uint64_t operation = 1; ///< 1-based
    bool torn = false;           ///< in the middle of the operation; else just before it
    std::chrono::milliseconds off_for{1000}; ///< how long the power stays off
};

/// "N", "N:before" or "N:torn" (N >= 1); the error message, or empty.
std::string parse_cut_at(std::string_view text, FlashCut& cut);
/// The form parse_cut_at reads.
std::string to_string(const FlashCut& cut);
/// The device a cut is made on: `thing`, or the scenario's first device when it is empty.
std::string cut_device(const Scenario& scenario, const std::string& thing);
/// Why a flash cut cannot be made on device `thing` of scenario ("<file>:<line>: ..."), or
/// empty: the thing must be one of the scenario's, and no step may arm a flash fault plan of its
/// own on it (flash_fault, power_cut at_phase swapping): a flash holds one plan.
std::string flash_cut_problem(const Scenario& scenario, const std::string& thing);

struct RunnerOptions {
    std::string plugin; ///< libfota_mosquitto_plugin.so; empty: cloud::find_mosquitto_plugin()
    std::string mosquitto = "mosquitto";         ///< the broker executable (path or PATH name)
    std::vector<std::string> broker_environment; ///< "NAME=value" for the broker (sanitizers)
    std::optional<std::uint64_t> seed;           ///< overrides the scenario's seed
    /// Overrides the scenario's stack (e.g. kind url: run a library scenario against a running
    /// `fota-sim cloud`).
    std::optional<StackConfig> stack;
    unsigned threads = 2; ///< threads running devices and object server
    /// The devices' MQTT client on a real-time stack (the sim stack has its own).
    MqttImplementation mqtt_client = MqttImplementation::paho;
    bool verbose = false; ///< device log lines also go to stderr
    /// Record every device's core to <record_dir>/<thing>.jsonl (fota-sim replay); empty: no.
    /// The folder must exist.
    std::string record_dir;
    /// Cut the power at one flash operation of one device. The scenario must not arm flash
    /// faults of its own on that device (flash_fault, power_cut at_phase swapping): a flash holds
    /// one fault plan.
    std::optional<FlashCut> flash_cut;
    /// After the expectations (or a failed step), let the run go on until every started device's
    /// update has settled (at most `settle`, on the stack's clock, past the scenario's deadline)
    /// and check the update invariants (runner/src/update_invariants.hpp) as results named
    /// "invariant: ...". On with flash_cut.
    bool update_invariants = false;
    std::chrono::milliseconds settle{std::chrono::minutes(30)};
    /// Set (e.g. by a SIGINT handler) to stop the run: the scenario ends in error "interrupted".
    const std::atomic<bool>* interrupted = nullptr;
};

/// Runs one scenario to its end. Never throws: a stack that does not start, an unsupported step
/// or expectation, the scenario deadline or an interruption give Outcome::error with `error` set;
/// an expectation or wait_for/hold that does not hold gives Outcome::failed with expected and
/// observed. `file` of the report is scenario.file.
ScenarioReport run_scenario(const Scenario& scenario, const RunnerOptions& options);

/// Parses path and runs it; a file that does not parse gives Outcome::error with every
/// diagnostic ("file:line:col: message") in `error`.
ScenarioReport run_scenario_file(const std::string& path, const RunnerOptions& options);

/// The scenario phases a device event stands for (see DeviceRuntime::on_event; several for one
/// event: e.g. download_complete is followed at once by the apply_firmware update). SUCCEEDED
/// and FAILED are not here: they are sent when the device publishes them (parse_job_update).
/// Events that stand for no phase give an empty list.
std::vector<DevicePhase> phases_of_event(std::string_view event);

/// A job update a device published: "<topic> <payload>" of the runtime's mqtt_published event.
struct PublishedUpdate {
    std::string job;    ///< empty: the publish was not a job update
    std::string status; ///< the payload's "status", "?" when it has none
};
PublishedUpdate parse_job_update(std::string_view topic_and_payload);

/// Whether a count lies in range (both ends inclusive, each optional).
bool in_range(const CountRange& range, std::uint64_t value);
/// "3", ">= 1", "<= 4", "1..4" (or "any").
std::string describe_range(const CountRange& range);

/// Whether `details` (an execution's statusDetails object) contains every field of `wanted` with
/// an equal value; the string "*" in wanted matches any present value.
bool status_details_match(const nlohmann::json& wanted, const nlohmann::json& details);

/// Versions compare equal without a leading 'v' and a "+0" build suffix ("v2.0.0" == "2.0.0+0").
bool same_version(const std::string& a, const std::string& b);

} // namespace fota::sim
