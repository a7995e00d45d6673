// fota-sim fleet: N devices through one update, measured. The run makes its firmware (the initial
// image and the update, test images of image_size), creates the things, starts the devices at
// `rate` per second, creates one job for them (with its rollout and abort configs) once they
// are connected, and follows every device's phases (fleet_metrics.hpp) until each is done or
// failed, the job ends (an abort), the timeout, or Ctrl-C; then it reads the executions back
// from the cloud and returns the report.
//
// Stacks: any of the runner's (fota/sim/stack.hpp): embedded (a private Mosquitto and object
// server), url (a running stack: `fota-sim cloud`, docker compose) and sim (virtual time, one
// thread, deterministic for a seed).
//
// Shards: shard_count > 1 with shard_index runs the devices with global indices
// [index*count/shard_count, (index+1)*count/shard_count) and a job of their own ("<run
// id>-<index>"), so pods of a Kubernetes Indexed Job run disjoint parts of one fleet (k8s/) and
// their reports merge (merge_reports). workers > 1 splits the same way over local worker processes
// against one stack started here (fleet_workers.cpp): one job for the whole fleet.
#pragma once

#include "fota/sim/fleet_report.hpp"
#include "fota/sim/stack.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace fota::sim::fleet {

/// StackOptions with what a fleet changes: the Asio MQTT session, and one thread a process (each
/// worker is one process already; at 10,000 devices in 4 workers, 2 threads each took 7 % more
/// time and 11 % more memory than 1, and 4 threads 29 % and 30 %: bench/fleet/README.md).
inline StackOptions fleet_stack_options() {
    StackOptions options;
    options.mqtt_client = MqttImplementation::asio;
    options.threads = 1;
    return options;
}

struct FleetOptions {
    std::uint64_t count = 10;            ///< devices of the whole fleet
    std::string thing_prefix = "fleet-"; ///< things are <prefix><global index>
    StackConfig stack;                   ///< embedded, url or sim
    /// The devices' MQTT client is fota-sim's own on Asio unless set: Paho's process-wide receive
    /// thread polls every socket of the process for each packet (bench/fleet/README.md).
    StackOptions stack_options = fleet_stack_options();
    std::string work_dir; ///< the run's folder (stack state, images); made when empty

    std::uint32_t shard_index = 0;
    std::uint32_t shard_count = 1;
    /// Local worker processes (embedded stack only): each runs count/workers devices as a shard
    /// of this run against the stack this process starts. 0: chosen from the cores and count.
    std::uint32_t workers = 1;

    double rate = 0; ///< devices started per second (0: all at once)
    std::uint64_t image_size = 64 * 1024;
    bool verified = false; ///< profile verified, else the seed's
    std::uint64_t seed = 1;

    /// When the job is created: once every device has connected (default; then job_received
    /// measures the notification alone), or before the first device starts.
    bool job_first = false;
    std::optional<std::uint32_t> maximum_per_minute; ///< jobExecutionsRolloutConfig
    /// abortConfig: cancel the job once this percentage of executions FAILED, after at least
    /// abort_min_executed finished.
    std::optional<double> abort_threshold_percent;
    std::uint32_t abort_min_executed = 1;
    /// Percentage of devices whose secondary slot cannot be erased (their update FAILS), picked
    /// evenly by index; to exercise abortConfig and the error report.
    double failing_percent = 0;

    std::chrono::milliseconds timeout{std::chrono::minutes(30)};
    std::string run_id; ///< names the job(s); made from the time and seed when empty

    /// Limits: the run fails when more than this fraction of the devices did not end done, or
    /// when a phase's p99 is above its limit.
    std::optional<double> max_failure_rate;
    std::vector<std::pair<Phase, std::chrono::milliseconds>> max_p99;

    /// Set (by a SIGINT handler) to stop the run; the report is still made.
    const std::atomic<bool>* interrupted = nullptr;
    /// Called about once a second (on the calling thread) with a live snapshot, and once at the
    /// end with the final report.
    std::function<void(const FleetReport& snapshot, bool final)> on_progress;
};

/// The global device indices of a shard: [first, last).
std::pair<std::uint64_t, std::uint64_t> shard_range(std::uint64_t count, std::uint32_t index,
                                                    std::uint32_t shard_count);

/// Whether a job in this status ends the run (only a cancelled one: an abort).
bool job_ends_run(const std::string& job_status);

/// What the run loop knows when it decides whether to stop.
struct StopState {
    bool settled = false;                        ///< every device done or failed
    std::chrono::milliseconds job_ended_for{-1}; ///< since job_ends_run (negative: not ended)
    bool past_deadline = false;
    bool interrupted = false;
};
/// Why the run stops now ("done", "aborted", "timeout", "interrupted"), or empty to go on.
std::string stop_reason(const StopState& state);

/// The workers a fleet of `count` devices gets by default on `cores` cores: one per
/// kDevicesPerWorker devices, at most kWorkersPerCore per core. Paho's receive thread polls
/// every socket of its process for each packet it reads, so its cost per message grows with the
/// clients of one process and more processes than cores still pay (bench/fleet: 1,000 devices
/// on 2 cores took 5.4 s p50 end to end and 13 s of CPU in one process, 3.8 s and 6.7 s in four).
/// Beyond two per core nothing is gained: 10,000 devices on 2 cores updated in 87 and 81 s with 4
/// workers and 86 and 83 s with 8, at 63.7-64.2 KiB of RSS a device against 72.7-73.0 (each worker
/// holds its own ~15 MiB of the binary's and libraries' pages).
inline constexpr std::uint64_t kDevicesPerWorker = 250;
inline constexpr unsigned kWorkersPerCore = 2;
std::uint32_t default_workers(std::uint64_t count, unsigned cores);

/// Runs the fleet (over local workers when options.workers > 1). Throws StackError (the stack did
/// not start or died) or std::invalid_argument (options that cannot work, with what to change).
/// Limits are checked into report.limits.
FleetReport run_fleet(const FleetOptions& options);

/// Checks options.max_failure_rate and options.max_p99 against report.metrics into
/// report.limits (replacing what is there).
void check_limits(const FleetOptions& options, FleetReport& report);

/// The part of run_fleet that starts the embedded stack and the worker processes
/// (fleet_workers.cpp); options.run_id and work_dir are set.
FleetReport run_fleet_workers(const FleetOptions& options);

} // namespace fota::sim::fleet
