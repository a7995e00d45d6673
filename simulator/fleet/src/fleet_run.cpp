// One fleet run on one stack, in this process (fleet.hpp). The devices' events arrive on the
// stack's threads (or inside wait_until on sim) and go through one mutex into their DeviceClock,
// the timeline and the error counts; the calling thread starts devices, creates the job, watches
// the job and the clocks, and reports progress.
#include "fota/sim/fleet.hpp"

#include "fota/sim/process_stats.hpp"
#include "runner/src/firmware.hpp"
#include "scenario/steps/create_job_run.hpp"

#include "fota/flash/nor_flash.hpp"
#include "fota/flash/partitions.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <stdexcept>

namespace fota::sim::fleet {

using json = nlohmann::json;
using std::chrono::milliseconds;

namespace {

constexpr const char* kInitial = "initial";
constexpr const char* kUpdate = "update";

std::string iso_utc(std::chrono::system_clock::time_point at) {
    const std::time_t t = std::chrono::system_clock::to_time_t(at);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return text;
}

// The scenario model of the fleet's firmware and job, for the runner's firmware and CreateJob
// code (the fleet's job is a create_job step like any other).
Scenario fleet_scenario(const FleetOptions& options) {
    Scenario scenario;
    scenario.file = "fleet";
    for (const auto& [id, version] : {std::pair{kInitial, "1.0.0"}, std::pair{kUpdate, "2.0.0"}}) {
        Firmware firmware;
        firmware.id = id;
        firmware.version = version;
        firmware.size = options.image_size;
        scenario.firmware.push_back(firmware);
    }
    return scenario;
}

CreateJobStep fleet_job(const FleetOptions& options, const std::string& job_id) {
    CreateJobStep job;
    job.job_id = job_id;
    job.firmware = kUpdate;
    job.description = "fota-sim fleet " + options.run_id;
    if (options.maximum_per_minute) {
        job.rollout = RolloutConfig{};
        job.rollout->maximum_per_minute = options.maximum_per_minute;
    }
    if (options.abort_threshold_percent) {
        AbortCriterion abort;
        abort.failure_type = FailureType::failed;
        abort.threshold_percentage = *options.abort_threshold_percent;
        abort.min_number_of_executed_things = options.abort_min_executed;
        job.abort.push_back(abort);
    }
    return job;
}

// A fault plan that makes the secondary slot's erases fail: the core reports FAILED.
std::string failing_device_faults() {
    const auto table = flash::PartitionTable::parse(flash::kNrf9160Layout, flash::Geometry{});
    const flash::Partition* secondary = table ? table->find("mcuboot_secondary") : nullptr;
    if (secondary == nullptr) {
        throw std::logic_error("the nRF9160 layout has no mcuboot_secondary");
    }
    return "fail-erase@" + std::to_string(secondary->offset) + "+" +
           std::to_string(secondary->size);
}

/// True for the devices (by global index) that fail, spread evenly: i*p/100 steps by one.
bool is_failing(std::uint64_t index, double percent) {
    const auto before =
        static_cast<std::uint64_t>(std::floor(static_cast<double>(index) * percent / 100));
    const auto after =
        static_cast<std::uint64_t>(std::floor(static_cast<double>(index + 1) * percent / 100));
    return after > before;
}

class FleetRun {
public:
    explicit FleetRun(const FleetOptions& options) : options_(options) {}

    FleetReport run();

private:
    struct Device {
        std::string thing;
        std::unique_ptr<StackDevice> device;
        DeviceClock clock;
        bool started = false;
    };

    void prepare();
    void make_devices();
    void start_due_devices(RunTime since_first_start);
    void create_job();
    /// describe_job: the job's status and its executions by status.
    void read_job();
    bool settled() const;
    bool all_connected() const;
    FleetReport snapshot();
    void collect_device_counters(FleetReport& report);
    std::int64_t unix_ms() const { return epoch_ms_ + stack_->now().count(); }
    std::optional<StackDevice::PowerCut> on_event(Device& device, std::string_view name,
                                                  std::string_view detail);

    const FleetOptions& options_;
    std::unique_ptr<Stack> stack_;
    std::string work_dir_;
    runner::FirmwareImages images_;
    Scenario scenario_;
    std::map<std::string, PublishedFirmware> published_;
    std::vector<std::unique_ptr<Device>> devices_;
    std::uint64_t first_index_ = 0;
    std::size_t next_start_ = 0;
    std::int64_t epoch_ms_ = 0;
    RunTime first_start_{0};
    json config_ = json::object();
    std::string job_id_;
    std::string job_status_;
    std::map<std::string, std::uint64_t> executions_;
    std::chrono::steady_clock::time_point wall_start_;

    mutable std::mutex mutex_; // guards what the events change:
    Timeline timeline_;
    std::map<std::string, std::uint64_t> errors_;
    std::uint64_t mqtt_connections_ = 0;
    std::uint64_t connected_ = 0;
    std::uint64_t settled_ = 0; // done or failed
};

std::optional<StackDevice::PowerCut> FleetRun::on_event(Device& device, std::string_view name,
                                                        std::string_view detail) {
    const std::int64_t now = unix_ms();
    const std::lock_guard lock(mutex_);
    for (const Milestone milestone : device.clock.on_event(name, detail, now)) {
        timeline_.add(milestone, now / 1000);
        connected_ += milestone == Milestone::connected ? 1 : 0;
        settled_ += milestone == Milestone::done || milestone == Milestone::failed ? 1 : 0;
    }
    if (name == "mqtt_connected") {
        ++mqtt_connections_;
    }
    if (const std::string error = error_class(name, detail); !error.empty()) {
        ++errors_[error];
    }
    return std::nullopt;
}

void FleetRun::prepare() {
    work_dir_ = options_.work_dir;
    if (work_dir_.empty()) {
        work_dir_ = (std::filesystem::temp_directory_path() / ("fota-sim-fleet-" + options_.run_id))
                        .string();
    }
    std::filesystem::create_directories(work_dir_);
    stack_ = make_stack(options_.stack, options_.stack_options);
    stack_->start(work_dir_);
    const auto epoch = stack_->virtual_epoch();
    epoch_ms_ = std::chrono::duration_cast<milliseconds>(
                    (epoch ? *epoch : std::chrono::system_clock::now()).time_since_epoch())
                    .count() -
                (epoch ? 0 : stack_->now().count());
    scenario_ = fleet_scenario(options_);
    images_ = runner::prepare_firmware(scenario_, options_.seed, work_dir_);
    published_ = runner::publish_firmware(scenario_, images_, *stack_);
    config_ = {{"count", options_.count},
               {"image_size", options_.image_size},
               {"image_bytes", images_.bytes.at(kUpdate).size()},
               {"profile", options_.verified ? "verified" : "seed"},
               {"rate", options_.rate},
               {"seed", options_.seed},
               {"job_first", options_.job_first},
               {"failing_percent", options_.failing_percent},
               {"shard_index", options_.shard_index},
               {"shard_count", options_.shard_count},
               {"timeout_s", std::chrono::duration<double>(options_.timeout).count()}};
    if (options_.maximum_per_minute) {
        config_["maximum_per_minute"] = *options_.maximum_per_minute;
    }
    if (options_.abort_threshold_percent) {
        config_["abort_threshold_percent"] = *options_.abort_threshold_percent;
        config_["abort_min_executed"] = options_.abort_min_executed;
    }
    job_id_ = options_.shard_count > 1
                  ? options_.run_id + "-" + std::to_string(options_.shard_index)
                  : options_.run_id;
}

void FleetRun::make_devices() {
    const auto [first, last] =
        shard_range(options_.count, options_.shard_index, options_.shard_count);
    first_index_ = first;
    const std::string failing = options_.failing_percent > 0 ? failing_device_faults() : "";
    // The things first: stack aws gives each device its thing's certificate as it is made.
    std::vector<json> things;
    for (std::uint64_t index = first; index < last; ++index) {
        things.push_back({{"thingName", options_.thing_prefix + std::to_string(index)}});
    }
    stack_->call_many("create_thing", things);
    devices_.reserve(last - first);
    for (std::uint64_t index = first; index < last; ++index) {
        auto device = std::make_unique<Device>();
        device->thing = options_.thing_prefix + std::to_string(index);
        device->clock.set_success_before_reboot(!options_.verified);
        StackDevice::Options o;
        o.thing = device->thing;
        o.image_file = images_.files.at(kInitial);
        o.verified = options_.verified;
        o.seed = options_.seed * 1'000'003u + index;
        o.in_memory_flash = true;
        if (is_failing(index, options_.failing_percent)) {
            o.first_power_on_faults = failing;
        }
        Device* raw = device.get();
        device->device =
            stack_->make_device(o, [this, raw](std::string_view name, std::string_view detail) {
                return on_event(*raw, name, detail);
            });
        devices_.push_back(std::move(device));
    }
}

void FleetRun::start_due_devices(RunTime since_first_start) {
    std::size_t due = devices_.size();
    if (options_.rate > 0) {
        const double seconds = static_cast<double>(since_first_start.count()) / 1000.0;
        due = std::min(devices_.size(),
                       static_cast<std::size_t>(std::floor(seconds * options_.rate)) + 1);
    }
    for (; next_start_ < due; ++next_start_) {
        Device& device = *devices_[next_start_];
        {
            const std::lock_guard lock(mutex_);
            device.clock.powered_on(unix_ms());
            timeline_.add(Milestone::started, unix_ms() / 1000);
        }
        device.device->start();
        device.started = true;
    }
}

void FleetRun::create_job() {
    std::vector<std::string> things;
    things.reserve(devices_.size());
    for (const auto& device : devices_) {
        things.push_back(device->thing);
    }
    const CreateJobStep job = fleet_job(options_, job_id_);
    const json body = runner::steps::create_job_request(job, *scenario_.find_firmware(kUpdate),
                                                        published_.at(kUpdate), things);
    stack_->call("create_job", {{"jobId", job_id_}, {"body", body}});
    const std::int64_t created = unix_ms();
    const std::lock_guard lock(mutex_);
    for (auto& device : devices_) {
        device->clock.set_job_created(created);
    }
    job_status_ = "IN_PROGRESS";
}

void FleetRun::read_job() {
    const json reply = stack_->call("describe_job", {{"jobId", job_id_}}, true);
    const json& job = reply.contains("job") ? reply["job"] : reply;
    if (!job.is_object() || !job.contains("status")) {
        return;
    }
    job_status_ = job["status"].get<std::string>();
    executions_.clear();
    const json details = job.value("jobProcessDetails", json::object());
    for (const auto& [key, value] : details.items()) {
        if (key == "processingTargets" && value.is_array()) {
            executions_["PENDING_ROLLOUT"] = value.size();
        } else if (key.rfind("numberOf", 0) == 0 && value.is_number_integer()) {
            // numberOfSucceededThings -> SUCCEEDED, numberOfTimedOutThings -> TIMED_OUT
            std::string status;
            for (const char c : key.substr(8, key.size() - 8 - 6)) {
                if (std::isupper(static_cast<unsigned char>(c)) && !status.empty()) {
                    status += '_';
                }
                status += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            }
            executions_[status] = value.get<std::uint64_t>();
        }
    }
}

bool FleetRun::all_connected() const {
    const std::lock_guard lock(mutex_);
    return connected_ == devices_.size();
}

bool FleetRun::settled() const {
    const std::lock_guard lock(mutex_);
    return settled_ == devices_.size();
}

FleetReport FleetRun::snapshot() {
    FleetReport report;
    report.run_id = options_.run_id;
    report.stack = stack_->name();
    report.started_at = iso_utc(std::chrono::system_clock::time_point(milliseconds(epoch_ms_)));
    report.wall_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start_).count();
    report.duration_s = static_cast<double>((stack_->now() - first_start_).count()) / 1000.0;
    report.config = config_;
    report.job_ids = {job_id_};
    report.executions = executions_;
    if (!job_status_.empty()) {
        report.jobs[job_status_] = 1;
    }
    {
        const std::lock_guard lock(mutex_);
        for (const auto& device : devices_) {
            report.metrics.add_device(device->clock);
        }
        report.metrics.errors = errors_;
        report.metrics.timeline = timeline_;
        report.metrics.mqtt_connections = mqtt_connections_;
    }
    ShardReport shard;
    shard.index = options_.shard_index;
    shard.count = options_.shard_count;
    shard.devices = devices_.size();
    shard.wall_s = report.wall_s;
    shard.cpu_s = process_cpu_seconds();
    shard.peak_rss_kib = process_peak_rss_kib();
    report.shards = {shard};
    return report;
}

void FleetRun::collect_device_counters(FleetReport& report) {
    for (const auto& device : devices_) {
        if (!device->started) {
            continue;
        }
        if (const auto status = device->device->status()) {
            report.metrics.download_bytes += status->download_bytes;
            report.metrics.http_requests += status->http_requests;
        }
    }
}

FleetReport FleetRun::run() {
    wall_start_ = std::chrono::steady_clock::now();
    prepare();
    make_devices();
    const auto interrupted = [this] {
        return options_.interrupted != nullptr && options_.interrupted->load();
    };
    if (options_.job_first) {
        create_job();
    }
    first_start_ = stack_->now();
    const RunTime first_start = first_start_;
    const RunTime deadline = first_start + options_.timeout;
    auto last_progress = std::chrono::steady_clock::now();
    RunTime last_job_read = first_start;
    std::optional<RunTime> job_ended_at;
    std::string stopped_by;
    while (stopped_by.empty()) {
        start_due_devices(stack_->now() - first_start);
        // The job once every device is connected, or once half the time is gone without that.
        if (job_status_.empty() && next_start_ == devices_.size() &&
            (all_connected() || stack_->now() - first_start > options_.timeout / 2)) {
            create_job();
        }
        stack_->wait_for(milliseconds(100));
        stack_->check_alive();
        const auto wall_now = std::chrono::steady_clock::now();
        // The job's status every second of the stack's time (virtual on sim).
        if (!job_status_.empty() && stack_->now() - last_job_read >= std::chrono::seconds(1)) {
            read_job();
            last_job_read = stack_->now();
            if (!job_ended_at && job_ends_run(job_status_)) {
                job_ended_at = stack_->now();
            }
        }
        StopState state;
        state.settled = settled();
        state.job_ended_for = job_ended_at ? stack_->now() - *job_ended_at : RunTime(-1);
        state.past_deadline = stack_->now() >= deadline;
        state.interrupted = interrupted();
        stopped_by = stop_reason(state);
        if (options_.on_progress && wall_now - last_progress >= std::chrono::seconds(1)) {
            last_progress = wall_now;
            options_.on_progress(snapshot(), false);
        }
    }
    if (!job_status_.empty()) {
        read_job();
    }
    FleetReport report = snapshot();
    report.stopped_by = stopped_by;
    collect_device_counters(report);
    stack_->stop();
    report.shards.front().cpu_s = process_cpu_seconds();
    report.shards.front().peak_rss_kib = process_peak_rss_kib();
    check_limits(options_, report);
    if (options_.on_progress) {
        options_.on_progress(report, true);
    }
    return report;
}

} // namespace

std::pair<std::uint64_t, std::uint64_t> shard_range(std::uint64_t count, std::uint32_t index,
                                                    std::uint32_t shard_count) {
    return {count * index / shard_count, count * (index + 1) / shard_count};
}

bool job_ends_run(const std::string& job_status) {
    // A cancelled job (its abortConfig) ends the run; a COMPLETED one does not: its devices may
    // still be rebooting into the update and confirming it (the seed profile reports SUCCEEDED
    // before its reboot), and the run waits for them.
    return job_status == "CANCELED";
}

std::string stop_reason(const StopState& state) {
    if (state.settled) {
        return "done";
    }
    if (state.job_ended_for > std::chrono::seconds(5)) {
        return "aborted"; // the devices had a moment to notice the cancellation
    }
    if (state.past_deadline) {
        return "timeout";
    }
    return state.interrupted ? "interrupted" : "";
}

std::uint32_t default_workers(std::uint64_t count, unsigned cores) {
    const auto wanted =
        static_cast<std::uint32_t>((count + kDevicesPerWorker - 1) / kDevicesPerWorker);
    return std::max(1u, std::min(wanted, kWorkersPerCore * std::max(1u, cores)));
}

FleetReport run_fleet(const FleetOptions& options) {
    if (options.count == 0) {
        throw std::invalid_argument("the fleet needs at least one device (--count)");
    }
    if (options.shard_count == 0 || options.shard_index >= options.shard_count) {
        throw std::invalid_argument("--shard-index must be below --shard-count");
    }
    FleetOptions resolved = options;
    if (resolved.run_id.empty()) {
        // On sim the same seed makes the same run; elsewhere the time keeps runs on one stack
        // (and their jobs) apart.
        std::string stamp = iso_utc(std::chrono::system_clock::now());
        stamp.erase(
            std::remove_if(stamp.begin(), stamp.end(), [](char c) { return c == '-' || c == ':'; }),
            stamp.end());
        resolved.run_id = "fleet-" + (options.stack.kind == StackKind::sim
                                          ? std::to_string(options.seed)
                                          : stamp.substr(0, stamp.size() - 1) + "-" +
                                                std::to_string(options.seed));
    }
    const bool own_work_dir = resolved.work_dir.empty();
    if (own_work_dir) {
        // A folder of this run's own: two runs with the same id (the same seed on sim) at once
        // must not share one, since each removes its folder when it ends.
        std::string pattern =
            (std::filesystem::temp_directory_path() / ("fota-sim-" + resolved.run_id + "-XXXXXX"))
                .string();
        if (mkdtemp(pattern.data()) == nullptr) {
            throw std::invalid_argument("cannot make a work folder like " + pattern +
                                        " (give one with --work-dir)");
        }
        resolved.work_dir = pattern;
    }
    // A folder made here goes with a run that ended; after an error it stays (its logs).
    const auto finish = [&](FleetReport report) {
        if (own_work_dir) {
            std::error_code ignored;
            std::filesystem::remove_all(resolved.work_dir, ignored);
        }
        return report;
    };
    if (resolved.workers > 1) {
        if (options.stack.kind != StackKind::embedded || options.shard_count > 1) {
            throw std::invalid_argument(
                "--workers runs local worker processes against the embedded stack (with or "
                "without TLS; not sim, aws, a url stack or a shard: run one fota-sim fleet per "
                "shard there)");
        }
        if (resolved.workers > options.count) {
            resolved.workers = static_cast<std::uint32_t>(options.count);
        }
        return finish(run_fleet_workers(resolved));
    }
    FleetRun run(resolved);
    return finish(run.run());
}

void check_limits(const FleetOptions& options, FleetReport& report) {
    report.limits.clear();
    const FleetMetrics& m = report.metrics;
    if (options.max_failure_rate) {
        LimitVerdict limit;
        limit.name = "failure_rate";
        limit.limit = *options.max_failure_rate;
        limit.observed = m.devices == 0 ? 0.0
                                        : static_cast<double>(m.devices - m.succeeded) /
                                              static_cast<double>(m.devices);
        limit.passed = limit.observed <= limit.limit;
        report.limits.push_back(limit);
    }
    for (const auto& [phase, max] : options.max_p99) {
        LimitVerdict limit;
        limit.name = "p99:" + std::string(to_string(phase));
        limit.limit = static_cast<double>(max.count());
        limit.observed = static_cast<double>(m.phase(phase).quantile(0.99));
        limit.passed = m.phase(phase).count() > 0 && limit.observed <= limit.limit;
        report.limits.push_back(limit);
    }
}

} // namespace fota::sim::fleet
