// The world a scenario runs in, as the runner sees it: a control plane (the Jobs and Shadow APIs
// and the fault ops of `$fota/control`), an object store the devices download from, a broker,
// the devices, and a clock. The runner reaches every world through Stack only, so a new world
// is one more implementation and make_stack's one more case, never a branch in the runner.
//
// Implementations: `embedded` (a private Mosquitto with the fota plugin and the object server in
// this process) and `url` (a running `fota-sim cloud`), both in real time on one io_context, and
// `sim` (the same cloud code and device runtime in one thread on a virtual clock), and `aws` (an
// AWS account, or a local stack that answers as one, through AWS's REST APIs); see src/stack/.
//
// Threads: the runner calls a Stack and its devices from one thread. Device events arrive on the
// stack's own threads (real time) or inside wait_until (a stack with a virtual clock); now() may
// be called from an event handler too.
#pragma once

#include "scenario/job_document.hpp"
#include "scenario/scenario.hpp"

#include "fota/cloud/object_server.hpp"  // cloud::ObjectFault
#include "fota/sim/asio_device_host.hpp" // MqttImplementation

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fota::sim {

/// The runner's time: since the stack was made (the run's start), on the stack's clock (the
/// steady clock for real-time stacks; a virtual clock may run faster).
using RunTime = std::chrono::milliseconds;

/// A stack that cannot run: it did not start, it died, or it was asked for something it cannot
/// do; what() says why.
struct StackError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// A stack configuration that cannot work (e.g. a url without a port); the runner reports it as
/// "<scenario file>: <what>".
struct StackConfigError : StackError {
    using StackError::StackError;
};

/// Something this runner cannot do yet; what() names it ("stack 'aws'"), line is the scenario
/// line that asks for it (0: the stack itself). The runner reports
/// "<file>:<line>: <what> is not supported by this runner yet".
struct StackUnsupported : StackError {
    StackUnsupported(const std::string& what, int scenario_line)
        : StackError(what), line(scenario_line) {}
    int line = 0;
};

/// One device of a stack: powered, faulted and observed by the runner. Calls never block for
/// long: a fault is queued to the device and happens on the stack's time.
class StackDevice {
public:
    /// What makes a device; where its broker, shadow service and flash are is the stack's.
    struct Options {
        std::string thing;
        std::string flash_geometry; ///< flash::Geometry's line; empty: the nRF9160's
        std::string flash_layout;   ///< flash::PartitionTable's layout; empty: the nRF9160's
        std::string image_file;     ///< installed into the primary slot at the first boot
        bool verified = false;      ///< profile verified, else the default (seed) profile
        bool clean_session = true;
        std::uint64_t seed = 1;
        std::string record_file; ///< record the core's inputs and outputs here (empty: no)
        /// The flash in memory rather than in <work_dir>/<thing>.flash (fota-sim fleet: pages
        /// shared between devices, nothing written to disk); the sim stack's always is.
        bool in_memory_flash = false;
        /// A flash fault plan armed at the first power-on (DeviceOptions::first_power_on_faults).
        std::string first_power_on_faults;
        std::chrono::milliseconds first_power_on_off_for{0};
    };

    /// A snapshot of what the runner checks.
    struct Status {
        std::string running_version;
        bool confirmed = false;
        std::uint32_t boots = 0;
        std::uint64_t download_bytes = 0;
        std::uint64_t http_requests = 0;
        std::string state; ///< "running", "rebooting", "off" or "bricked" (DeviceState)
        /// Flash writes and page erases since the first power-on (DeviceStatus).
        std::uint64_t flash_operations = 0;
        std::uint32_t reverts = 0;         ///< boots that reverted an unconfirmed image
        std::uint32_t images_rejected = 0; ///< boots that rejected a requested image
    };

    /// What an event handler asks of the device: cut the power now, or once the download that
    /// just started has received after_download_bytes more bytes; power returns after off_for.
    struct PowerCut {
        std::uint64_t after_download_bytes = 0; ///< 0: now
        std::chrono::milliseconds off_for{0};
    };

    /// Called for every event of the core and of the device runtime (see
    /// DeviceRuntime::on_event), before the device goes on; on a stack thread, one device's
    /// events in order.
    using EventHandler =
        std::function<std::optional<PowerCut>(std::string_view name, std::string_view detail)>;

    virtual ~StackDevice() = default;

    /// Powers the device on.
    virtual void start() = 0;
    /// Stops it cleanly; false when it did not answer. Safe to call again.
    virtual bool stop() = 0;
    /// nullopt when the device did not answer (or the stack has stopped).
    virtual std::optional<Status> status() const = 0;
    /// bytes [offset, offset + length) of its flash; empty when they cannot be read.
    virtual std::string read_flash(std::uint64_t offset, std::size_t length) const = 0;

    // ---- faults ----
    /// A clean reboot requested from outside: the core shuts down, the device boots again.
    virtual void reboot() = 0;
    virtual void cut_power(std::chrono::milliseconds off_for) = 0;
    /// A cut at one of the boot loader's swap operations, chosen from seed.
    virtual void cut_power_during_swap(std::chrono::milliseconds off_for, std::uint64_t seed) = 0;
    /// Arms a fake-flash fault plan (flash::FaultPlan's one-line form); returns an error message,
    /// or empty.
    virtual std::string arm_flash_faults(const std::string& plan_line,
                                         std::chrono::milliseconds off_for) = 0;
    virtual void drop_mqtt() = 0;
    virtual void drop_mqtt_at_download_byte(std::uint64_t bytes) = 0;
    virtual void lose_next_message(const std::string& topic_suffix) = 0;
    /// HTTP transfers stop delivering for `duration` (now, or once the download has received
    /// `bytes` more bytes), then go on.
    virtual void stall_http_for(std::chrono::milliseconds duration) = 0;
    virtual void stall_http_at_download_byte(std::uint64_t bytes,
                                             std::chrono::milliseconds duration) = 0;
    /// No network for `duration`.
    virtual void go_offline(std::chrono::milliseconds duration) = 0;
};

class Stack {
public:
    virtual ~Stack() = default;

    /// "embedded", "url": the name scenario files give it.
    virtual std::string name() const = 0;

    // ---- lifecycle ----
    /// Throws StackUnsupported for what scenario asks of this stack and it cannot do (the
    /// default: restart_broker steps when !can_restart_broker()).
    virtual void check(const Scenario& scenario) const;
    /// Starts what the stack runs; work_dir is the run's folder for its files (removed by the
    /// runner after stop). Throws StackError saying what did not start.
    virtual void start(const std::string& work_dir) = 0;
    /// Removes what an earlier run left on a long-lived stack under these names (jobs, the
    /// things' shadows), so a scenario can run again; nothing on a stack made for this run.
    virtual void remove_leftovers(const std::vector<std::string>& job_ids,
                                  const std::vector<std::string>& things);
    /// Stops the devices, then what start() started. Idempotent; safe after a failed start and
    /// before start. A device handle stays valid, but does nothing after it.
    virtual void stop() = 0;
    /// Throws StackError (with what the stack knows, e.g. the broker's log) when a part of the
    /// stack has died.
    virtual void check_alive() = 0;
    /// The stack's own log for the report, with a title line ("---- mosquitto log ----");
    /// empty when there is none.
    virtual std::string log() const = 0;
    /// What stop() had to say (stack aws: what it deleted, what it could not); empty by default.
    virtual std::string stop_log() const { return {}; }

    // ---- control plane: the ops of `$fota/control` (create_job, describe_job_execution,
    // ---- get_thing_shadow, the cloud faults, ...)
    /// Runs one op and returns the AWS response body. Throws StackError when the call fails
    /// (transport, or an AWS error) unless allow_error, which returns {"__error": "<body>"}.
    virtual nlohmann::json call(const std::string& op, const nlohmann::json& args,
                                bool allow_error = false) = 0;
    /// The same op with many argument sets, concurrently; replies in the same order.
    virtual std::vector<nlohmann::json> call_many(const std::string& op,
                                                  const std::vector<nlohmann::json>& args,
                                                  bool allow_error = false) = 0;

    // ---- object store ----
    virtual void put_object(const std::string& key, const std::string& bytes) = 0;
    virtual void add_object_fault(const cloud::ObjectFault& fault) = 0;
    /// "http://host:port": where devices download from.
    virtual std::string object_endpoint() const = 0;
    /// The bucket the firmware objects go to.
    virtual std::string bucket() const = 0;
    /// Where a device finds what put_object(key) stored, for job documents (sha256 left
    /// empty). The default: object_endpoint()'s scheme and host:port, path <bucket>/<key>, and an
    /// s3_url in us-east-1 for the presigned-URL placeholder.
    virtual PublishedFirmware locate_object(const std::string& key) const;

    // ---- broker ----
    virtual bool can_restart_broker() const = 0;
    /// The broker goes away for down_for and comes back on the same ports with the same state.
    /// Throws StackError when it does not come back.
    virtual void restart_broker(std::chrono::milliseconds down_for) = 0;

    // ---- devices ----
    /// A device of this stack, off until start(); on_event receives its events. After start().
    virtual std::unique_ptr<StackDevice> make_device(const StackDevice::Options& options,
                                                     StackDevice::EventHandler on_event) = 0;

    // ---- the clock ----
    virtual RunTime now() const = 0;
    /// Returns at `until` (real time: sleeps; virtual time: runs what happens until then), or
    /// earlier when the run is interrupted.
    virtual void wait_until(RunTime until) = 0;
    void wait_for(std::chrono::milliseconds duration) { wait_until(now() + duration); }
    /// The wall-clock time a virtual clock's zero stands for (the report's started_at, so that
    /// a run's report is the same in every run); nullopt for a real-time stack.
    virtual std::optional<std::chrono::system_clock::time_point> virtual_epoch() const {
        return std::nullopt;
    }
    /// How another process reaches this running stack (a url stack's config: fota-sim fleet's
    /// worker processes); nullopt when it cannot be reached from outside (sim, aws).
    virtual std::optional<StackConfig> url_config() const { return std::nullopt; }
};

/// What stacks are made with (from RunnerOptions).
struct StackOptions {
    std::string plugin; ///< libfota_mosquitto_plugin.so; empty: cloud::find_mosquitto_plugin()
    std::string mosquitto = "mosquitto";         ///< the broker executable (path or PATH name)
    std::vector<std::string> broker_environment; ///< "NAME=value" for the broker (sanitizers)
    unsigned threads = 2;                        ///< threads running devices and object server
    /// The devices' MQTT client on a real-time stack (the sim stack has its own).
    MqttImplementation mqtt_client = MqttImplementation::paho;
    /// Set (e.g. by a SIGINT handler) to stop the run: wait_until returns early.
    const std::atomic<bool>* interrupted = nullptr;
    /// The run's seed: a stack with a virtual clock orders simultaneous events and draws its
    /// network's latency from it.
    std::uint64_t seed = 1;
};

/// The stack config asks for. Throws StackConfigError (a url without host:port, a broker over
/// TLS without tls_dir, AWS settings that cannot be found). The only switch on StackKind.
std::unique_ptr<Stack> make_stack(const StackConfig& config, const StackOptions& options);

/// The `fota-sim run` options that select config's stack (url: --control-url, ...; embedded and
/// sim: --stack), for the reproduce line of a run whose stack was given on the command line.
std::vector<std::pair<std::string, std::string>> stack_run_options(const StackConfig& config);

/// host and port of "scheme://host:port[/...]"; nullopt when there is no valid port.
std::optional<std::pair<std::string, std::uint16_t>> host_and_port(const std::string& url);

} // namespace fota::sim
