// What a fleet run measures, in a form that merges exactly: per-phase latency histograms,
// counters, error classes and a timeline of milestones per second. One FleetMetrics comes from
// each shard (a worker process, or a Kubernetes pod); merging shards adds counts and histogram
// buckets (never averages), so a merged report says the same as one unsharded run would.
//
// Phases of one device, from the events of its core and runtime (DeviceRuntime::on_event):
//   connect       power on            -> first MQTT session (mqtt_connected)
//   job_received  later of connected and the job's creation -> job_taken
//   first_byte    job_taken           -> the first image byte (download_first_byte)
//   download      first byte          -> download_complete
//   apply         download_complete   -> rebooting
//   reboot        rebooting           -> the next boot (boot)
//   confirmed     that boot           -> image_confirmed
//   end_to_end    later of power on and the job's creation -> done (the new image confirmed and
//                 the execution reported SUCCEEDED, whichever comes last)
// A phase is sampled once per device, its first occurrence (a retried download is one sample
// from its first byte to its completion).
#pragma once

#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fota::sim::fleet {

/// Latencies in milliseconds in log-linear buckets: exact below 32 ms, then 16 buckets per
/// power of two (at most 1/16 = 6.25 % wide). count, sum, min and max are exact; quantiles are
/// the upper edge of the bucket holding the rank, capped at max. Two histograms merge by adding
/// bucket counts, so a merged quantile is the quantile of the union.
class Histogram {
public:
    void record(std::uint64_t milliseconds);
    void merge(const Histogram& other);

    std::uint64_t count() const { return count_; }
    std::uint64_t sum() const { return sum_; }
    std::uint64_t min() const { return count_ == 0 ? 0 : min_; }
    std::uint64_t max() const { return max_; }
    /// The smallest bucket edge with at least q of the samples at or below it (0 < q <= 1);
    /// 0 when empty.
    std::uint64_t quantile(double q) const;
    /// Samples at or below `milliseconds` (exact at bucket edges, else up to one bucket short).
    std::uint64_t count_at_most(std::uint64_t milliseconds) const;

    /// Non-empty buckets as (the bucket's lowest value in ms, count), ascending.
    std::vector<std::pair<std::uint64_t, std::uint64_t>> buckets() const;

    /// {"count","sum_ms","min_ms","max_ms","p50_ms","p90_ms","p99_ms","buckets":[[low,n],...]}
    nlohmann::json to_json() const;
    /// Reads to_json()'s form back; nullopt (and why in error) when it is not that form.
    static std::optional<Histogram> from_json(const nlohmann::json& value, std::string& error);

    /// The bucket holding `milliseconds`, and the lowest value of a bucket.
    static std::size_t bucket_of(std::uint64_t milliseconds);
    static std::uint64_t bucket_low(std::size_t bucket);
    static std::uint64_t bucket_high(std::size_t bucket); ///< its highest value

    bool operator==(const Histogram&) const = default;

private:
    std::map<std::size_t, std::uint64_t> counts_; ///< sparse: most buckets are empty
    std::uint64_t count_ = 0;
    std::uint64_t sum_ = 0;
    std::uint64_t min_ = 0;
    std::uint64_t max_ = 0;
};

/// The phases, in the order of an update (the report's and the plots' order).
enum class Phase : std::uint8_t {
    connect,
    job_received,
    first_byte,
    download,
    apply,
    reboot,
    confirmed,
    end_to_end,
};
inline constexpr std::size_t kPhaseCount = 8;
std::string_view to_string(Phase phase);
std::optional<Phase> phase_from_string(std::string_view name);

/// Milestones a device reaches, counted per second on the timeline.
enum class Milestone : std::uint8_t {
    started,   ///< powered on
    connected, ///< first MQTT session
    job,       ///< took the job
    downloaded,
    rebooted, ///< booted after the update's reboot
    done,     ///< confirmed and SUCCEEDED
    failed,   ///< reported FAILED (or REJECTED)
};
inline constexpr std::size_t kMilestoneCount = 7;
std::string_view to_string(Milestone milestone);

/// Counts per second of wall time (Unix seconds), for each milestone: mergeable across shards
/// that ran on different machines at the same time.
class Timeline {
public:
    void add(Milestone milestone, std::int64_t unix_second);
    void merge(const Timeline& other);
    /// First and last second with an entry (0, 0 when empty).
    std::int64_t first_second() const;
    std::int64_t last_second() const;
    /// Devices that reached `milestone` in [first_second(), second].
    std::uint64_t cumulative(Milestone milestone, std::int64_t second) const;
    std::uint64_t total(Milestone milestone) const;

    /// {"start_unix_s": S, "milestones": {"connected": [n at S, n at S+1, ...], ...}}
    nlohmann::json to_json() const;
    static std::optional<Timeline> from_json(const nlohmann::json& value, std::string& error);

    bool operator==(const Timeline&) const = default;

private:
    std::array<std::map<std::int64_t, std::uint64_t>, kMilestoneCount> per_second_;
};

/// One device's milestones, in Unix milliseconds (0: not reached), fed from its events.
class DeviceClock {
public:
    /// The job's creation time (Unix ms): job_received and end_to_end start no earlier.
    void set_job_created(std::int64_t unix_ms) { job_created_ = unix_ms; }
    /// The profile reports SUCCEEDED before the reboot (the seed's; fota::Profile's
    /// report_success_after_boot false): its reboot after the download means SUCCEEDED was
    /// accepted, and the core logs no job_succeeded.
    void set_success_before_reboot(bool value) { success_before_reboot_ = value; }
    void powered_on(std::int64_t unix_ms);
    /// One event of the device (its name as DeviceRuntime::on_event gives it) at `unix_ms`.
    /// Returns the milestones it reached with this event (for the timeline and the progress).
    std::vector<Milestone> on_event(std::string_view name, std::string_view detail,
                                    std::int64_t unix_ms);

    bool done() const { return done_ != 0; }
    bool failed() const { return failed_ != 0; }
    bool reached(Milestone milestone) const;
    /// The phases this device completed, with their latency in ms.
    std::vector<std::pair<Phase, std::uint64_t>> phases() const;

private:
    bool success_before_reboot_ = false;
    std::int64_t job_created_ = 0;
    std::int64_t power_on_ = 0;
    std::int64_t connected_ = 0;
    std::int64_t job_taken_ = 0;
    std::int64_t first_byte_ = 0;
    std::int64_t downloaded_ = 0;
    std::int64_t rebooting_ = 0;
    std::int64_t rebooted_ = 0;
    std::int64_t confirmed_ = 0;
    std::int64_t succeeded_ = 0;
    std::int64_t done_ = 0;
    std::int64_t failed_ = 0;
};

/// Everything a fleet run (or one shard of it) measured.
struct FleetMetrics {
    std::uint64_t devices = 0;   ///< devices of the run (or the shard)
    std::uint64_t started = 0;   ///< powered on
    std::uint64_t succeeded = 0; ///< done: the new image confirmed and SUCCEEDED reported
    std::uint64_t failed = 0;    ///< reported FAILED or REJECTED
    std::array<Histogram, kPhaseCount> phases;
    /// Error classes and their counts: events of the core that say something went wrong
    /// ("download_retry", "publish_failed", "mqtt_disconnected", ...) and the failure reasons
    /// of FAILED reports ("failed:<reason>").
    std::map<std::string, std::uint64_t> errors;
    std::uint64_t download_bytes = 0;
    std::uint64_t http_requests = 0;
    std::uint64_t mqtt_connections = 0;
    Timeline timeline;

    /// Adds one device's completed phases (DeviceClock::phases) and outcome.
    void add_device(const DeviceClock& device);
    /// Exact merge: counts and buckets add up.
    void merge(const FleetMetrics& other);

    const Histogram& phase(Phase p) const { return phases[static_cast<std::size_t>(p)]; }

    nlohmann::json to_json() const;
    static std::optional<FleetMetrics> from_json(const nlohmann::json& value, std::string& error);

    bool operator==(const FleetMetrics&) const = default;
};

/// An error class of an event, or empty when the event is not an error.
std::string error_class(std::string_view event_name, std::string_view detail);

} // namespace fota::sim::fleet
