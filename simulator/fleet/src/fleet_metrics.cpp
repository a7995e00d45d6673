#include "fota/sim/fleet_metrics.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

namespace fota::sim::fleet {

using json = nlohmann::json;

namespace {

constexpr std::uint64_t kExactBelow = 32; // values below are their own bucket
constexpr unsigned kSubBuckets = 16;      // per power of two above
constexpr unsigned kFirstOctave = 5;      // 2^5 = kExactBelow
/// Far beyond any latency (2^40 ms is 35 years): bigger values are clamped into the last bucket.
constexpr unsigned kLastOctave = 40;

constexpr std::array<std::string_view, kPhaseCount> kPhaseNames = {
    "connect", "job_received", "first_byte", "download",
    "apply",   "reboot",       "confirmed",  "end_to_end"};

constexpr std::array<std::string_view, kMilestoneCount> kMilestoneNames = {
    "started", "connected", "job", "downloaded", "rebooted", "done", "failed"};

std::uint64_t elapsed(std::int64_t from, std::int64_t to) {
    return to > from ? static_cast<std::uint64_t>(to - from) : 0;
}

// A JSON integer >= 0 (parsed text gives unsigned, a value set in code may be signed).
std::optional<std::uint64_t> non_negative(const json& value) {
    if (value.is_number_unsigned()) {
        return value.get<std::uint64_t>();
    }
    if (value.is_number_integer() && value.get<std::int64_t>() >= 0) {
        return static_cast<std::uint64_t>(value.get<std::int64_t>());
    }
    return std::nullopt;
}

bool read_u64(const json& object, const char* key, std::uint64_t& out, std::string& error) {
    const auto it = object.find(key);
    const auto value = it == object.end() ? std::nullopt : non_negative(*it);
    if (!value) {
        error = std::string("'") + key + "' must be a non-negative integer";
        return false;
    }
    out = *value;
    return true;
}

} // namespace

// ---- Histogram ------------------------------------------------------------------------------

std::size_t Histogram::bucket_of(std::uint64_t milliseconds) {
    if (milliseconds < kExactBelow) {
        return static_cast<std::size_t>(milliseconds);
    }
    unsigned octave = static_cast<unsigned>(std::bit_width(milliseconds)) - 1;
    if (octave > kLastOctave) {
        octave = kLastOctave;
        milliseconds = (std::uint64_t{2} << kLastOctave) - 1;
    }
    const std::uint64_t sub = (milliseconds >> (octave - 4)) & (kSubBuckets - 1);
    return static_cast<std::size_t>(kExactBelow + (octave - kFirstOctave) * kSubBuckets + sub);
}

std::uint64_t Histogram::bucket_low(std::size_t bucket) {
    if (bucket < kExactBelow) {
        return bucket;
    }
    const std::size_t above = bucket - kExactBelow;
    const unsigned octave = kFirstOctave + static_cast<unsigned>(above / kSubBuckets);
    const std::uint64_t sub = above % kSubBuckets;
    return (kSubBuckets + sub) << (octave - 4);
}

std::uint64_t Histogram::bucket_high(std::size_t bucket) {
    if (bucket < kExactBelow) {
        return bucket;
    }
    const unsigned octave =
        kFirstOctave + static_cast<unsigned>((bucket - kExactBelow) / kSubBuckets);
    return bucket_low(bucket) + (std::uint64_t{1} << (octave - 4)) - 1;
}

void Histogram::record(std::uint64_t milliseconds) {
    ++counts_[bucket_of(milliseconds)];
    min_ = count_ == 0 ? milliseconds : std::min(min_, milliseconds);
    max_ = std::max(max_, milliseconds);
    ++count_;
    sum_ += milliseconds;
}

void Histogram::merge(const Histogram& other) {
    if (other.count_ == 0) {
        return;
    }
    for (const auto& [bucket, n] : other.counts_) {
        counts_[bucket] += n;
    }
    min_ = count_ == 0 ? other.min_ : std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
    count_ += other.count_;
    sum_ += other.sum_;
}

std::uint64_t Histogram::quantile(double q) const {
    if (count_ == 0) {
        return 0;
    }
    q = std::clamp(q, 0.0, 1.0);
    const auto rank = std::max<std::uint64_t>(
        1, static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_))));
    std::uint64_t seen = 0;
    for (const auto& [bucket, n] : counts_) {
        seen += n;
        if (seen >= rank) {
            return std::min(bucket_high(bucket), max_);
        }
    }
    return max_;
}

std::uint64_t Histogram::count_at_most(std::uint64_t milliseconds) const {
    std::uint64_t total = 0;
    for (const auto& [bucket, n] : counts_) {
        if (bucket_high(bucket) > milliseconds) {
            break;
        }
        total += n;
    }
    return total;
}

std::vector<std::pair<std::uint64_t, std::uint64_t>> Histogram::buckets() const {
    std::vector<std::pair<std::uint64_t, std::uint64_t>> out;
    out.reserve(counts_.size());
    for (const auto& [bucket, n] : counts_) {
        out.emplace_back(bucket_low(bucket), n);
    }
    return out;
}

json Histogram::to_json() const {
    json buckets_json = json::array();
    for (const auto& [low, n] : buckets()) {
        buckets_json.push_back({low, n});
    }
    return {{"count", count_},          {"sum_ms", sum_},          {"min_ms", min()},
            {"max_ms", max_},           {"p50_ms", quantile(0.5)}, {"p90_ms", quantile(0.9)},
            {"p99_ms", quantile(0.99)}, {"buckets", buckets_json}};
}

std::optional<Histogram> Histogram::from_json(const json& value, std::string& error) {
    if (!value.is_object()) {
        error = "a histogram must be an object";
        return std::nullopt;
    }
    Histogram h;
    std::uint64_t count = 0;
    if (!read_u64(value, "count", count, error) || !read_u64(value, "sum_ms", h.sum_, error) ||
        !read_u64(value, "min_ms", h.min_, error) || !read_u64(value, "max_ms", h.max_, error)) {
        return std::nullopt;
    }
    const auto it = value.find("buckets");
    if (it == value.end() || !it->is_array()) {
        error = "'buckets' must be an array of [lowest_ms, count]";
        return std::nullopt;
    }
    for (const json& entry : *it) {
        const auto low =
            entry.is_array() && entry.size() == 2 ? non_negative(entry[0]) : std::nullopt;
        const auto n = low ? non_negative(entry[1]) : std::nullopt;
        if (!n) {
            error = "each bucket must be [lowest_ms, count] with non-negative integers";
            return std::nullopt;
        }
        const std::size_t bucket = bucket_of(*low);
        if (bucket_low(bucket) != *low) {
            error = "bucket " + std::to_string(*low) + " is not a bucket's lowest value";
            return std::nullopt;
        }
        h.counts_[bucket] += *n;
        h.count_ += *n;
    }
    if (h.count_ != count) {
        error = "'count' is " + std::to_string(count) + " but the buckets hold " +
                std::to_string(h.count_);
        return std::nullopt;
    }
    if (count == 0) {
        h.min_ = 0;
    }
    return h;
}

// ---- names ----------------------------------------------------------------------------------

std::string_view to_string(Phase phase) {
    return kPhaseNames.at(static_cast<std::size_t>(phase));
}

std::optional<Phase> phase_from_string(std::string_view name) {
    for (std::size_t i = 0; i < kPhaseCount; ++i) {
        if (kPhaseNames[i] == name) {
            return static_cast<Phase>(i);
        }
    }
    return std::nullopt;
}

std::string_view to_string(Milestone milestone) {
    return kMilestoneNames.at(static_cast<std::size_t>(milestone));
}

// ---- Timeline -------------------------------------------------------------------------------

void Timeline::add(Milestone milestone, std::int64_t unix_second) {
    ++per_second_[static_cast<std::size_t>(milestone)][unix_second];
}

void Timeline::merge(const Timeline& other) {
    for (std::size_t m = 0; m < kMilestoneCount; ++m) {
        for (const auto& [second, n] : other.per_second_[m]) {
            per_second_[m][second] += n;
        }
    }
}

std::int64_t Timeline::first_second() const {
    std::optional<std::int64_t> first;
    for (const auto& seconds : per_second_) {
        if (!seconds.empty()) {
            first = std::min(first.value_or(seconds.begin()->first), seconds.begin()->first);
        }
    }
    return first.value_or(0);
}

std::int64_t Timeline::last_second() const {
    std::optional<std::int64_t> last;
    for (const auto& seconds : per_second_) {
        if (!seconds.empty()) {
            last = std::max(last.value_or(seconds.rbegin()->first), seconds.rbegin()->first);
        }
    }
    return last.value_or(0);
}

std::uint64_t Timeline::cumulative(Milestone milestone, std::int64_t second) const {
    std::uint64_t total = 0;
    for (const auto& [at, n] : per_second_[static_cast<std::size_t>(milestone)]) {
        if (at > second) {
            break;
        }
        total += n;
    }
    return total;
}

std::uint64_t Timeline::total(Milestone milestone) const {
    std::uint64_t total = 0;
    for (const auto& [at, n] : per_second_[static_cast<std::size_t>(milestone)]) {
        total += n;
    }
    return total;
}

json Timeline::to_json() const {
    const std::int64_t first = first_second();
    const std::int64_t last = last_second();
    json milestones = json::object();
    for (std::size_t m = 0; m < kMilestoneCount; ++m) {
        json counts = json::array();
        if (!per_second_[m].empty()) {
            for (std::int64_t second = first; second <= last; ++second) {
                const auto it = per_second_[m].find(second);
                counts.push_back(it == per_second_[m].end() ? 0 : it->second);
            }
        }
        milestones[std::string(kMilestoneNames[m])] = counts;
    }
    return {{"start_unix_s", first}, {"milestones", milestones}};
}

std::optional<Timeline> Timeline::from_json(const json& value, std::string& error) {
    if (!value.is_object() || !value.contains("start_unix_s") ||
        !value["start_unix_s"].is_number_integer() || !value.contains("milestones") ||
        !value["milestones"].is_object()) {
        error = "a timeline must be {\"start_unix_s\": S, \"milestones\": {...}}";
        return std::nullopt;
    }
    Timeline timeline;
    const auto start = value["start_unix_s"].get<std::int64_t>();
    for (const auto& [name, counts] : value["milestones"].items()) {
        const auto known = std::find(kMilestoneNames.begin(), kMilestoneNames.end(), name);
        if (known == kMilestoneNames.end()) {
            error = "unknown milestone '" + name + "'";
            return std::nullopt;
        }
        if (!counts.is_array()) {
            error = "milestone '" + name + "' must be an array of counts per second";
            return std::nullopt;
        }
        auto& seconds =
            timeline.per_second_[static_cast<std::size_t>(known - kMilestoneNames.begin())];
        for (std::size_t i = 0; i < counts.size(); ++i) {
            const auto n = non_negative(counts[i]);
            if (!n) {
                error = "milestone '" + name + "' must hold non-negative integers";
                return std::nullopt;
            }
            if (*n != 0) {
                seconds[start + static_cast<std::int64_t>(i)] = *n;
            }
        }
    }
    return timeline;
}

// ---- DeviceClock ----------------------------------------------------------------------------

void DeviceClock::powered_on(std::int64_t unix_ms) {
    if (power_on_ == 0) {
        power_on_ = unix_ms;
    }
}

std::vector<Milestone> DeviceClock::on_event(std::string_view name, std::string_view detail,
                                             std::int64_t now) {
    (void)detail;
    std::vector<Milestone> reached;
    const auto mark = [&](std::int64_t& at, std::optional<Milestone> milestone) {
        if (at == 0) {
            at = now;
            if (milestone) {
                reached.push_back(*milestone);
            }
        }
    };
    if (name == "mqtt_connected") {
        mark(connected_, Milestone::connected);
    } else if (name == "job_taken") {
        mark(job_taken_, Milestone::job);
    } else if (name == "download_first_byte" && job_taken_ != 0) {
        mark(first_byte_, std::nullopt);
    } else if (name == "download_complete" && job_taken_ != 0) {
        mark(downloaded_, Milestone::downloaded);
    } else if (name == "rebooting" && downloaded_ != 0) {
        mark(rebooting_, std::nullopt);
        if (success_before_reboot_) {
            mark(succeeded_, std::nullopt); // the seed profile reboots once SUCCEEDED is accepted
        }
    } else if (name == "boot" && rebooting_ != 0) {
        mark(rebooted_, Milestone::rebooted);
    } else if (name == "image_confirmed" && rebooted_ != 0) {
        mark(confirmed_, std::nullopt);
    } else if (name == "job_succeeded" && job_taken_ != 0) {
        mark(succeeded_, std::nullopt);
    } else if ((name == "job_failed_reported") && job_taken_ != 0 && done_ == 0) {
        mark(failed_, Milestone::failed);
    }
    if (done_ == 0 && failed_ == 0 && confirmed_ != 0 && succeeded_ != 0) {
        mark(done_, Milestone::done);
    }
    return reached;
}

bool DeviceClock::reached(Milestone milestone) const {
    switch (milestone) {
    case Milestone::started:
        return power_on_ != 0;
    case Milestone::connected:
        return connected_ != 0;
    case Milestone::job:
        return job_taken_ != 0;
    case Milestone::downloaded:
        return downloaded_ != 0;
    case Milestone::rebooted:
        return rebooted_ != 0;
    case Milestone::done:
        return done_ != 0;
    case Milestone::failed:
        return failed_ != 0;
    }
    return false;
}

std::vector<std::pair<Phase, std::uint64_t>> DeviceClock::phases() const {
    std::vector<std::pair<Phase, std::uint64_t>> out;
    const auto add = [&](Phase phase, std::int64_t from, std::int64_t to) {
        if (from != 0 && to != 0) {
            out.emplace_back(phase, elapsed(from, to));
        }
    };
    add(Phase::connect, power_on_, connected_);
    add(Phase::job_received, connected_ == 0 ? 0 : std::max(connected_, job_created_), job_taken_);
    add(Phase::first_byte, job_taken_, first_byte_);
    add(Phase::download, first_byte_, downloaded_);
    add(Phase::apply, downloaded_, rebooting_);
    add(Phase::reboot, rebooting_, rebooted_);
    add(Phase::confirmed, rebooted_, confirmed_);
    add(Phase::end_to_end, power_on_ == 0 ? 0 : std::max(power_on_, job_created_), done_);
    return out;
}

// ---- FleetMetrics ---------------------------------------------------------------------------

void FleetMetrics::add_device(const DeviceClock& device) {
    ++devices;
    started += device.reached(Milestone::started) ? 1 : 0;
    succeeded += device.done() ? 1 : 0;
    failed += device.failed() ? 1 : 0;
    for (const auto& [phase, ms] : device.phases()) {
        phases[static_cast<std::size_t>(phase)].record(ms);
    }
}

void FleetMetrics::merge(const FleetMetrics& other) {
    devices += other.devices;
    started += other.started;
    succeeded += other.succeeded;
    failed += other.failed;
    for (std::size_t p = 0; p < kPhaseCount; ++p) {
        phases[p].merge(other.phases[p]);
    }
    for (const auto& [name, n] : other.errors) {
        errors[name] += n;
    }
    download_bytes += other.download_bytes;
    http_requests += other.http_requests;
    mqtt_connections += other.mqtt_connections;
    timeline.merge(other.timeline);
}

json FleetMetrics::to_json() const {
    json phases_json = json::object();
    for (std::size_t p = 0; p < kPhaseCount; ++p) {
        phases_json[std::string(kPhaseNames[p])] = phases[p].to_json();
    }
    return {{"devices", devices},
            {"started", started},
            {"succeeded", succeeded},
            {"failed", failed},
            {"phases", phases_json},
            {"errors", errors},
            {"download_bytes", download_bytes},
            {"http_requests", http_requests},
            {"mqtt_connections", mqtt_connections},
            {"timeline", timeline.to_json()}};
}

std::optional<FleetMetrics> FleetMetrics::from_json(const json& value, std::string& error) {
    if (!value.is_object()) {
        error = "fleet metrics must be an object";
        return std::nullopt;
    }
    FleetMetrics m;
    for (const auto& [key, field] :
         {std::pair{"devices", &m.devices}, std::pair{"started", &m.started},
          std::pair{"succeeded", &m.succeeded}, std::pair{"failed", &m.failed},
          std::pair{"download_bytes", &m.download_bytes},
          std::pair{"http_requests", &m.http_requests},
          std::pair{"mqtt_connections", &m.mqtt_connections}}) {
        if (!read_u64(value, key, *field, error)) {
            return std::nullopt;
        }
    }
    const auto phases_it = value.find("phases");
    if (phases_it == value.end() || !phases_it->is_object()) {
        error = "'phases' must be an object of histograms";
        return std::nullopt;
    }
    for (const auto& [name, histogram] : phases_it->items()) {
        const auto phase = phase_from_string(name);
        if (!phase) {
            error = "unknown phase '" + name + "'";
            return std::nullopt;
        }
        auto parsed = Histogram::from_json(histogram, error);
        if (!parsed) {
            error = "phase '" + name + "': " + error;
            return std::nullopt;
        }
        m.phases[static_cast<std::size_t>(*phase)] = std::move(*parsed);
    }
    const auto errors_it = value.find("errors");
    if (errors_it == value.end() || !errors_it->is_object()) {
        error = "'errors' must be an object of counts";
        return std::nullopt;
    }
    for (const auto& [name, n] : errors_it->items()) {
        const auto count = non_negative(n);
        if (!count) {
            error = "error class '" + name + "' must count with a non-negative integer";
            return std::nullopt;
        }
        m.errors[name] = *count;
    }
    const auto timeline_it = value.find("timeline");
    if (timeline_it == value.end()) {
        error = "'timeline' is missing";
        return std::nullopt;
    }
    auto timeline = Timeline::from_json(*timeline_it, error);
    if (!timeline) {
        return std::nullopt;
    }
    m.timeline = std::move(*timeline);
    return m;
}

std::string error_class(std::string_view name, std::string_view detail) {
    static constexpr std::array<std::string_view, 20> kErrors = {"download_retry",
                                                                 "download_restart",
                                                                 "url_refresh",
                                                                 "mqtt_disconnected",
                                                                 "publish_failed",
                                                                 "shadow_retry",
                                                                 "shadow_report_failed",
                                                                 "flash_erase_failed",
                                                                 "flash_write_failed",
                                                                 "state_save_failed",
                                                                 "message_not_built",
                                                                 "confirm_failed",
                                                                 "request_upgrade_failed",
                                                                 "update_failed",
                                                                 "rollback_after_success",
                                                                 "job_document_invalid",
                                                                 "job_message_unusable",
                                                                 "describe_rejected",
                                                                 "power_cut",
                                                                 "boot_failed"};
    if (name == "job_failed") {
        const std::string_view reason = detail.substr(0, detail.find(' '));
        return "failed:" + std::string(reason.empty() ? std::string_view("unknown") : reason);
    }
    if (std::find(kErrors.begin(), kErrors.end(), name) != kErrors.end()) {
        return std::string(name);
    }
    return {};
}

} // namespace fota::sim::fleet
