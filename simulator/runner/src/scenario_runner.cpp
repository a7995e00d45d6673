// The scenario runner: embedded stack, firmware, things, devices, steps, expectations, report.
#include "fota/sim/scenario_runner.hpp"

#include "scenario/job_document.hpp"
#include "scenario/scenario_parser.hpp"

#include "device_host.hpp"
#include "fota/cloud/broker_process.hpp"
#include "fota/cloud/object_server.hpp"
#include "fota/flash/mcuboot_image.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <curl/curl.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <unistd.h>

namespace fota::sim {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// ---- pure helpers ---------------------------------------------------------------------------

std::vector<DevicePhase> phases_of_event(std::string_view event) {
    using P = DevicePhase;
    if (event == "boot") {
        return {P::booted};
    }
    if (event == "shadow_reported") {
        return {P::shadow_reported};
    }
    if (event == "mqtt_connected") {
        return {P::connected};
    }
    if (event == "job_taken") {
        // The core publishes IN_PROGRESS (download_firmware) as soon as it has taken the job.
        return {P::job_received, P::in_progress_sent};
    }
    if (event == "download_first_byte") {
        // The runtime's: the first body byte of the image arrived in this boot.
        return {P::downloading};
    }
    if (event == "download_complete") {
        // Followed at once by the IN_PROGRESS (apply_firmware) update.
        return {P::download_complete, P::apply_sent};
    }
    if (event == "rebooting") {
        // Logged once the boot loader accepted the upgrade request.
        return {P::image_scheduled, P::rebooting};
    }
    if (event == "swapping") {
        return {P::swapping};
    }
    if (event == "image_confirmed") {
        return {P::confirmed};
    }
    if (event == "update_failed" || event == "rollback_after_success") {
        return {P::rolled_back};
    }
    if (event == "job_abandoned") {
        return {P::job_abandoned};
    }
    return {};
}

PublishedUpdate parse_job_update(std::string_view detail) {
    const auto space = detail.find(' ');
    const std::string_view topic = detail.substr(0, space);
    constexpr std::string_view kJobs = "/jobs/";
    constexpr std::string_view kSuffix = "/update";
    const auto jobs = topic.find(kJobs);
    if (space == std::string_view::npos || jobs == std::string_view::npos ||
        topic.size() < jobs + kJobs.size() + kSuffix.size() + 1 ||
        topic.substr(topic.size() - kSuffix.size()) != kSuffix) {
        return {};
    }
    const auto job_start = jobs + kJobs.size();
    PublishedUpdate update;
    update.job = std::string(topic.substr(job_start, topic.size() - kSuffix.size() - job_start));
    if (update.job.find('/') != std::string::npos) {
        return {}; // not $aws/things/<thing>/jobs/<job>/update
    }
    const json payload = json::parse(detail.substr(space + 1), nullptr, false);
    update.status =
        payload.is_object() && payload.contains("status") && payload["status"].is_string()
            ? payload["status"].get<std::string>()
            : std::string("?");
    return update;
}

bool in_range(const CountRange& range, std::uint64_t value) {
    return (!range.min || value >= *range.min) && (!range.max || value <= *range.max);
}

std::string describe_range(const CountRange& range) {
    if (range.min && range.max) {
        return *range.min == *range.max
                   ? std::to_string(*range.min)
                   : std::to_string(*range.min) + ".." + std::to_string(*range.max);
    }
    if (range.min) {
        return ">= " + std::to_string(*range.min);
    }
    if (range.max) {
        return "<= " + std::to_string(*range.max);
    }
    return "any";
}

bool status_details_match(const json& wanted, const json& status_details) {
    // DescribeJobExecution nests the fields under detailsMap; the MQTT API does not.
    const json& details = status_details.is_object() && status_details.contains("detailsMap")
                              ? status_details["detailsMap"]
                              : status_details;
    if (!wanted.is_object()) {
        return wanted == details;
    }
    if (!details.is_object()) {
        return wanted.empty();
    }
    for (const auto& [key, value] : wanted.items()) {
        const auto found = details.find(key);
        if (found == details.end()) {
            return false;
        }
        if (value.is_string() && value.get<std::string>() == "*") {
            continue;
        }
        if (*found != value) {
            return false;
        }
    }
    return true;
}

namespace {

std::string normal_version(std::string v) {
    if (!v.empty() && (v[0] == 'v' || v[0] == 'V')) {
        v.erase(0, 1);
    }
    if (v.size() > 2 && v.compare(v.size() - 2, 2, "+0") == 0) {
        v.resize(v.size() - 2);
    }
    return v;
}

} // namespace

bool same_version(const std::string& a, const std::string& b) {
    return normal_version(a) == normal_version(b);
}

namespace {

/// The scenario cannot be run on: Outcome::error with this message.
struct RunError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

std::string where(const Scenario& scenario, const SourceMark& mark) {
    return scenario.file + ":" + std::to_string(mark.line);
}

[[noreturn]] void unsupported(const Scenario& scenario, const SourceMark& mark,
                              const std::string& what) {
    throw RunError(where(scenario, mark) + ": " + what + " is not supported by this runner yet");
}

// ---- device log capture -----------------------------------------------------------------------

/// Receives every device's events (DeviceRuntime::on_event, on the device's strand): the phases
/// each device reached with their time, download starts, published job updates, and the power
/// cuts armed to fire when a device enters a phase. Also keeps the devices' log lines.
class EventRecorder {
public:
    explicit EventRecorder(Clock::time_point start) : start_(start) {}

    void add_log_line(const std::string& line) {
        const std::lock_guard lock(mutex_);
        if (log_.size() < 4 * 1024 * 1024) {
            log_ += line;
            log_ += '\n';
        }
    }

    /// One event of thing's device; returns the power cut to make now, if one was armed for a
    /// phase this event enters.
    std::optional<runner::PowerCutRequest> event(const std::string& thing, std::string_view name,
                                                 std::string_view detail) {
        const std::lock_guard lock(mutex_);
        auto found = things_.find(thing);
        if (found == things_.end()) {
            return std::nullopt;
        }
        Thing& t = found->second;
        std::vector<DevicePhase> phases;
        if (name == "mqtt_published") {
            // SUCCEEDED and FAILED are "sent" the moment the device publishes them.
            const std::string status = count_update(t, detail);
            if (status == "SUCCEEDED") {
                phases.push_back(DevicePhase::succeeded_sent);
            } else if (status == "FAILED") {
                phases.push_back(DevicePhase::failed_sent);
            }
        } else {
            phases = phases_of_event(name);
        }
        if (name == "download_started" || name == "download_resume") {
            ++t.download_attempts;
        }
        const auto at = std::chrono::duration_cast<milliseconds>(Clock::now() - start_);
        if (name == "power_cut") {
            t.fresh_power_on = true; // a phase seen before the cut is entered anew after it
            t.phases.push_back(PhaseEvent{"power_cut", at, std::string(detail)});
            return std::nullopt;
        }
        // The runtime and the core both report some transitions ("rebooting"): one phase event
        // per transition.
        if (phases.empty() ||
            (!t.phases.empty() && !t.fresh_power_on && t.last_event_phase == phases.back())) {
            return std::nullopt;
        }
        t.fresh_power_on = false;
        std::optional<runner::PowerCutRequest> cut;
        for (const DevicePhase phase : phases) {
            t.reached.insert(phase);
            t.phases.push_back(PhaseEvent{to_string(phase), at, std::string(detail)});
            t.last_event_phase = phase;
            for (auto armed = t.cuts.begin(); armed != t.cuts.end() && !cut; ++armed) {
                if (armed->phase == phase) {
                    cut = runner::PowerCutRequest{armed->after_download_bytes, armed->off_for};
                    t.cuts.erase(armed);
                    break;
                }
            }
        }
        return cut;
    }

    void add_thing(const std::string& thing) {
        const std::lock_guard lock(mutex_);
        things_[thing];
    }
    /// Arms a power cut for the next time thing enters phase.
    void arm_cut(const std::string& thing, DevicePhase phase, std::uint64_t after_download_bytes,
                 milliseconds off_for) {
        const std::lock_guard lock(mutex_);
        things_[thing].cuts.push_back(ArmedCut{phase, after_download_bytes, off_for});
    }
    bool reached(const std::string& thing, DevicePhase phase) const {
        const std::lock_guard lock(mutex_);
        const auto found = things_.find(thing);
        return found != things_.end() && found->second.reached.count(phase) != 0;
    }
    std::uint64_t download_attempts(const std::string& thing) const {
        const std::lock_guard lock(mutex_);
        const auto found = things_.find(thing);
        return found == things_.end() ? 0 : found->second.download_attempts;
    }
    /// Job updates thing's device published for job (with status, when not empty).
    std::uint64_t updates(const std::string& thing, const std::string& job,
                          const std::string& status) const {
        const std::lock_guard lock(mutex_);
        const auto found = things_.find(thing);
        if (found == things_.end()) {
            return 0;
        }
        std::uint64_t n = 0;
        for (const auto& [key, count] : found->second.updates) {
            if (key.first == job && (status.empty() || key.second == status)) {
                n += count;
            }
        }
        return n;
    }
    std::vector<PhaseEvent> phases(const std::string& thing) const {
        const std::lock_guard lock(mutex_);
        const auto found = things_.find(thing);
        return found == things_.end() ? std::vector<PhaseEvent>{} : found->second.phases;
    }
    std::string log() const {
        const std::lock_guard lock(mutex_);
        return log_;
    }

private:
    struct ArmedCut {
        DevicePhase phase = DevicePhase::booted;
        std::uint64_t after_download_bytes = 0;
        milliseconds off_for{0};
    };
    struct Thing {
        std::set<DevicePhase> reached;
        std::vector<PhaseEvent> phases;
        std::uint64_t download_attempts = 0;
        DevicePhase last_event_phase = DevicePhase::booted;
        std::vector<ArmedCut> cuts;
        bool fresh_power_on = false;
        std::map<std::pair<std::string, std::string>, std::uint64_t> updates; // (job, status)
    };

    // Counts a published job update; returns its status (empty for another publish).
    static std::string count_update(Thing& t, std::string_view detail) {
        PublishedUpdate update = parse_job_update(detail);
        if (update.job.empty()) {
            return {};
        }
        ++t.updates[{update.job, update.status}];
        return update.status;
    }

    Clock::time_point start_;
    mutable std::mutex mutex_;
    std::map<std::string, Thing> things_;
    std::string log_;
};

/// The sink of the "device" logger: hands lines to the recorder of the running scenario.
class RecorderSink : public spdlog::sinks::base_sink<std::mutex> {
public:
    void set_recorder(EventRecorder* recorder, bool echo) {
        const std::lock_guard lock(target_mutex_);
        recorder_ = recorder;
        echo_ = echo;
    }

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        const std::string line(msg.payload.data(), msg.payload.size());
        const std::lock_guard lock(target_mutex_);
        if (recorder_ != nullptr) {
            recorder_->add_log_line(line);
        }
        if (echo_) {
            fprintf(stderr, "%s\n", line.c_str());
        }
    }
    void flush_() override {}

private:
    std::mutex target_mutex_;
    EventRecorder* recorder_ = nullptr;
    bool echo_ = false;
};

/// Registers the "device" logger (before any device makes its own) with the recorder sink.
std::shared_ptr<RecorderSink> recorder_sink() {
    static const std::shared_ptr<RecorderSink> sink = [] {
        auto created = std::make_shared<RecorderSink>();
        if (auto existing = spdlog::get("device")) {
            existing->sinks().push_back(created);
            existing->set_level(spdlog::level::info);
        } else {
            auto logger = std::make_shared<spdlog::logger>("device", created);
            logger->set_level(spdlog::level::info);
            spdlog::register_logger(logger);
        }
        return created;
    }();
    return sink;
}

// ---- the control plane over HTTP
// ------------------------------------------------------------------

size_t append_body(char* data, size_t size, size_t count, void* user) {
    static_cast<std::string*>(user)->append(data, size * count);
    return size * count;
}

struct HttpReply {
    long status = 0;
    std::string body;
};

/// One HTTP request of the runner's (control plane, object server control API); throws RunError
/// naming `what` when it does not get an answer.
HttpReply http_request(const char* method, const std::string& url, const std::string& body,
                       const char* content_type, const std::string& what) {
    static const bool initialised = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
    if (!initialised) {
        throw RunError(what + ": curl_global_init failed");
    }
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
    if (!curl) {
        throw RunError(what + ": curl_easy_init failed");
    }
    const std::string type = std::string("Content-Type: ") + content_type;
    std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(
        curl_slist_append(nullptr, type.c_str()), &curl_slist_free_all);
    HttpReply reply;
    curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, &append_body);
    curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &reply.body);
    curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
    const CURLcode code = curl_easy_perform(curl.get());
    if (code != CURLE_OK) {
        throw RunError(what + ": " + curl_easy_strerror(code));
    }
    curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &reply.status);
    return reply;
}

class ControlClient {
public:
    explicit ControlClient(std::string endpoint) : url_(std::move(endpoint) + "/_fota/control") {}

    /// Runs one control op. Returns the AWS response body; throws RunError when the call fails
    /// (transport, or an AWS error) unless `allow_error`, which returns the error as
    /// {"__error": {...}} instead.
    json call(const std::string& op, const json& args, bool allow_error = false) const {
        const std::string request = json{{"op", op}, {"args", args}}.dump();
        const HttpReply answer = http_request("POST", url_, request, "application/json",
                                              "control plane " + url_ + ": " + op);
        const std::string& body = answer.body;
        const long status = answer.status;
        json reply = json::parse(body, nullptr, false);
        if (reply.is_discarded()) {
            reply = json::object();
        }
        if (reply.is_object() && reply.contains("ok") && reply.contains("body")) {
            reply = reply["body"];
        }
        if (status >= 400) {
            if (allow_error) {
                return json{{"__error", body}};
            }
            throw RunError("control plane " + op + " " + args.dump() + ": HTTP " +
                           std::to_string(status) + ": " + body);
        }
        return reply;
    }

    /// Runs the same op with many argument sets concurrently (the plugin answers requests once
    /// per broker tick, so one at a time costs about 100 ms each); replies in the same order.
    std::vector<json> call_many(const std::string& op, const std::vector<json>& args,
                                bool allow_error = false) const {
        std::vector<json> replies(args.size());
        constexpr std::size_t kBatch = 32;
        for (std::size_t first = 0; first < args.size(); first += kBatch) {
            std::vector<std::future<json>> batch;
            for (std::size_t i = first; i < std::min(args.size(), first + kBatch); ++i) {
                batch.push_back(std::async(std::launch::async, [this, &op, &args, i, allow_error] {
                    return call(op, args[i], allow_error);
                }));
            }
            for (std::size_t i = 0; i < batch.size(); ++i) {
                replies[first + i] = batch[i].get();
            }
        }
        return replies;
    }

private:
    std::string url_;
};

/// Where the firmware objects live: the object server in this process (embedded stack), or a
/// running one reached through its control API (url stack).
class Objects {
public:
    virtual ~Objects() = default;
    virtual void put_object(const std::string& bucket, const std::string& key,
                            const std::string& bytes) = 0;
    virtual void add_fault(const cloud::ObjectFault& fault) = 0;
    /// "http://host:port"
    virtual std::string endpoint() const = 0;
};

class LocalObjects final : public Objects {
public:
    explicit LocalObjects(cloud::ObjectServer& server) : server_(server) {}
    void put_object(const std::string& bucket, const std::string& key,
                    const std::string& bytes) override {
        server_.put_object(bucket, key, bytes);
    }
    void add_fault(const cloud::ObjectFault& fault) override { server_.add_fault(fault); }
    std::string endpoint() const override { return server_.endpoint(); }

private:
    cloud::ObjectServer& server_;
};

/// PUT /_fota/objects/<bucket>/<key> and POST /_fota/faults of a running object server.
class RemoteObjects final : public Objects {
public:
    explicit RemoteObjects(std::string endpoint) : endpoint_(std::move(endpoint)) {
        while (!endpoint_.empty() && endpoint_.back() == '/') {
            endpoint_.pop_back();
        }
    }
    void put_object(const std::string& bucket, const std::string& key,
                    const std::string& bytes) override {
        send("PUT", "/_fota/objects/" + bucket + "/" + key, bytes, "application/octet-stream");
    }
    void add_fault(const cloud::ObjectFault& fault) override {
        send("POST", "/_fota/faults", cloud::object_fault_json(fault), "application/json");
    }
    std::string endpoint() const override { return endpoint_; }

private:
    void send(const char* method, const std::string& path, const std::string& body,
              const char* content_type) const {
        const std::string url = endpoint_ + path;
        const HttpReply reply =
            http_request(method, url, body, content_type, "object server " + url);
        if (reply.status >= 300) {
            throw RunError("object server " + std::string(method) + " " + url + ": HTTP " +
                           std::to_string(reply.status) + ": " + reply.body);
        }
    }

    std::string endpoint_;
};

/// host and port of "scheme://host:port[/...]"; nullopt when there is no valid port.
std::optional<std::pair<std::string, std::uint16_t>> host_and_port(const std::string& url) {
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string::npos) {
        return std::nullopt;
    }
    std::string rest = url.substr(scheme_end + 3);
    rest = rest.substr(0, rest.find('/'));
    const auto colon = rest.rfind(':');
    if (colon == std::string::npos || colon == 0) {
        return std::nullopt;
    }
    const std::string port = rest.substr(colon + 1);
    if (port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
        std::stoul(port) == 0 || std::stoul(port) > 65535) {
        return std::nullopt;
    }
    return std::make_pair(rest.substr(0, colon), static_cast<std::uint16_t>(std::stoul(port)));
}

std::string thing_arn(const std::string& thing) {
    return "arn:aws:iot:us-east-1:123456789012:thing/" + thing;
}

// ---- the run --------------------------------------------------------------------------------

/// Where a group's flash puts the MCUboot slots: the nRF9160's layout (MCUboot 48 KiB, two
/// equal slots, 32 KiB settings), scaled to the group's flash size.
struct FlashLayout {
    std::string geometry; ///< flash::Geometry's line; empty for the nRF9160's (the default)
    std::string layout;   ///< flash::PartitionTable's; empty for the nRF9160's
    std::uint64_t primary_offset = 48 * 1024;
    std::uint64_t secondary_offset = (48 + 472) * 1024;
    std::uint64_t slot_size = 472 * 1024;
    std::uint64_t storage_size = 32 * 1024; ///< the settings partition, after the slots
    std::uint64_t page_size = 4096;
    std::uint8_t erased_value = 0xFF;
};

FlashLayout flash_layout(const FlashGeometry& g) {
    FlashLayout out;
    const FlashGeometry defaults;
    out.page_size = g.page_size;
    out.erased_value = g.erased_value;
    if (g.size == defaults.size && g.page_size == defaults.page_size &&
        g.write_unit == defaults.write_unit && g.erased_value == defaults.erased_value) {
        return out;
    }
    const std::uint64_t page = g.page_size;
    const auto whole_pages = [page](std::uint64_t bytes) {
        return (bytes + page - 1) / page * page;
    };
    const std::uint64_t boot = whole_pages(48 * 1024);
    const std::uint64_t storage_min = std::max<std::uint64_t>(whole_pages(32 * 1024), 2 * page);
    const std::uint64_t slot =
        g.size > boot + storage_min ? (g.size - boot - storage_min) / 2 / page * page : 0;
    const std::uint64_t storage = g.size - boot - 2 * slot;
    const auto kib = [](std::uint64_t bytes) { return std::to_string(bytes / 1024) + "KiB"; };
    std::ostringstream erased;
    erased << "0x" << std::hex << static_cast<unsigned>(g.erased_value);
    out.geometry = "size=" + kib(g.size) + ",page=" + kib(page) +
                   ",write=" + std::to_string(g.write_unit) + ",erased=" + erased.str();
    out.layout = "mcuboot=" + kib(boot) + ",mcuboot_primary=" + kib(slot) +
                 ",mcuboot_secondary=" + kib(slot) + ",settings_storage=" + kib(storage);
    out.primary_offset = boot;
    out.secondary_offset = boot + slot;
    out.slot_size = slot;
    out.storage_size = storage;
    return out;
}

struct Device {
    std::string thing;
    const DeviceGroup* group = nullptr;
    FlashLayout flash;
    std::string flash_file;
    std::unique_ptr<runner::HostDevice> runtime;
    bool started = false;
};

/// A finished check: passed, or expected vs observed.
struct Check {
    bool passed = false;
    std::string expected;
    std::string observed;
};

class Run {
public:
    Run(const Scenario& scenario, const RunnerOptions& options, ScenarioReport& report)
        : scenario_(scenario), options_(options), report_(report), start_(Clock::now()),
          deadline_(start_ + scenario.deadline), recorder_(start_) {}

    ~Run() { teardown(); }
    Run(const Run&) = delete;
    Run& operator=(const Run&) = delete;

    void execute() {
        check_supported();
        prepare_firmware();
        start_stack();
        publish_firmware();
        create_devices();
        for (const Step& step : scenario_.steps) {
            if (!run_step(step)) {
                skip_expectations();
                report_.outcome = Outcome::failed;
                return;
            }
        }
        bool all = true;
        for (const Expectation& e : scenario_.expectations) {
            all = check_expectation(e) && all;
        }
        report_.outcome = all ? Outcome::passed : Outcome::failed;
    }

    void finish_report() {
        for (const Device& d : devices_) {
            DeviceReport device;
            device.thing = d.thing;
            if (d.started) {
                try {
                    const runner::HostDeviceStatus s = status_of(d);
                    device.running_version = s.running_version;
                    device.confirmed = s.confirmed;
                    device.boots = s.boots;
                } catch (const RunError&) {
                    device.running_version = "?";
                }
            }
            device.phases = recorder_.phases(d.thing);
            report_.devices.push_back(std::move(device));
        }
        report_.log = recorder_.log();
        if (broker_ && !broker_->log().empty()) {
            report_.log += "---- mosquitto log ----\n" + broker_->log();
        }
    }

    void teardown() {
        if (torn_down_) {
            return;
        }
        torn_down_ = true;
        // Devices stop on their strands; then the io_context threads end.
        for (Device& d : devices_) {
            if (d.started && io_threads_running_) {
                d.runtime->stop(std::chrono::seconds(10));
            }
        }
        if (object_server_) {
            object_server_->stop();
        }
        work_.reset();
        if (io_threads_running_) {
            io_.stop();
        }
        for (auto& t : threads_) {
            t.join();
        }
        threads_.clear();
        io_threads_running_ = false;
        devices_.clear(); // destroys runtimes with the io_context stopped
        recorder_sink()->set_recorder(nullptr, false);
        if (broker_) {
            broker_->stop();
        }
        if (!work_dir_.empty()) {
            std::error_code ec;
            std::filesystem::remove_all(work_dir_, ec);
        }
    }

private:
    // ---- what this runner can do ----
    void check_supported() const {
        if (stack_.kind == StackKind::aws) {
            unsupported(scenario_, {}, "stack 'aws'");
        }
        if (stack_.kind == StackKind::url) {
            const auto mqtt = host_and_port(stack_.mqtt_url);
            if (stack_.mqtt_url.rfind("mqtt://", 0) != 0 &&
                stack_.mqtt_url.rfind("tcp://", 0) != 0) {
                unsupported(scenario_, {},
                            "a url stack's broker over TLS (" + stack_.mqtt_url + ")");
            }
            if (!mqtt || !host_and_port(stack_.object_url)) {
                throw RunError(scenario_.file +
                               ": the url stack needs host:port in mqtt_url and "
                               "object_url; got " +
                               stack_.mqtt_url + " and " + stack_.object_url);
            }
            for (const Step& step : scenario_.steps) {
                if (std::holds_alternative<RestartBrokerStep>(step.action)) {
                    unsupported(scenario_, step.mark, "restart_broker on a url stack");
                }
            }
        }
        for (const DeviceGroup& g : scenario_.devices) {
            // Each image must fit a slot less its trailer page and the page swap-move needs.
            const FlashLayout layout = flash_layout(g.flash);
            const std::uint64_t usable = layout.slot_size > 2 * layout.page_size
                                             ? layout.slot_size - 2 * layout.page_size
                                             : 0;
            for (const Firmware& f : scenario_.firmware) {
                if (f.size > usable) {
                    throw RunError(where(scenario_, g.mark) + ": firmware '" + f.id + "' (" +
                                   std::to_string(f.size) + " bytes) does not fit the slots of " +
                                   "devices " + g.thing_prefix + "* (" + std::to_string(usable) +
                                   " bytes usable of " + std::to_string(layout.slot_size) +
                                   "-byte slots)");
                }
            }
        }
        for (const Step& step : scenario_.steps) {
            if (const auto* flash = std::get_if<FlashFaultStep>(&step.action)) {
                using K = FlashFaultStep::Kind;
                if ((flash->kind == K::bit_flips || flash->kind == K::wear_out) &&
                    flash->partition != FlashFaultStep::Partition::any) {
                    unsupported(scenario_, step.mark,
                                "flash_fault bit_flips or wear_out limited to a partition");
                }
            }
        }
    }

    // ---- firmware ----
    void prepare_firmware() {
        char pattern[] = "/tmp/fota-run-XXXXXX";
        if (mkdtemp(pattern) == nullptr) {
            throw RunError("cannot create a temporary folder");
        }
        work_dir_ = pattern;
        for (const Firmware& f : scenario_.firmware) {
            std::string bytes;
            if (!f.file.empty()) {
                std::ifstream in(f.file, std::ios::binary);
                std::ostringstream text;
                text << in.rdbuf();
                if (!in && !in.eof()) {
                    throw RunError(where(scenario_, f.mark) + ": cannot read " + f.file);
                }
                bytes = text.str();
            } else {
                const auto version = flash::ImageVersion::parse(f.version);
                if (!version) {
                    throw RunError(where(scenario_, f.mark) + ": version " + f.version + ": " +
                                   version.error().message);
                }
                flash::TestImageOptions image;
                image.version = version.value();
                image.total_size = static_cast<std::uint32_t>(f.size);
                image.seed = f.content_seed != 0 ? f.content_seed : seed_ * 7919 + images_.size();
                const auto made = flash::make_test_image(image);
                if (!made) {
                    throw RunError(where(scenario_, f.mark) + ": firmware '" + f.id +
                                   "': " + made.error().message);
                }
                bytes.assign(made.value().begin(), made.value().end());
            }
            apply_defect(f, bytes);
            const std::string path = work_dir_ + "/" + f.id + ".bin";
            std::ofstream(path, std::ios::binary)
                .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
            image_files_[f.id] = path;
            images_[f.id] = std::move(bytes);
        }
    }

    /// Builds the defect a firmware asks for into its bytes.
    void apply_defect(const Firmware& f, std::string& bytes) const {
        if (f.defect == ImageDefect::none) {
            return;
        }
        const auto* data = reinterpret_cast<const std::uint8_t*>(bytes.data());
        const auto parsed = flash::parse_image(std::span<const std::uint8_t>(data, bytes.size()));
        if (!parsed) {
            throw RunError(where(scenario_, f.mark) + ": firmware '" + f.id +
                           "' is not an MCUboot image, so it cannot carry a defect: " +
                           parsed.error().message);
        }
        const std::size_t header = parsed.value().header.header_size;
        const std::size_t body = parsed.value().header.image_size;
        switch (f.defect) {
        case ImageDefect::none:
            break;
        case ImageDefect::bad_hash:
            // One body byte changed: the SHA-256 TLV no longer matches.
            bytes[header + body / 2] = static_cast<char>(bytes[header + body / 2] ^ 0x5a);
            break;
        case ImageDefect::bad_magic:
            bytes[0] = static_cast<char>(bytes[0] ^ 0xff);
            break;
        case ImageDefect::truncated:
            bytes.resize(header + body / 2);
            break;
        }
    }

    void start_stack() {
        recorder_sink()->set_recorder(&recorder_, options_.verbose);
        if (stack_.kind == StackKind::url) {
            start_url_stack();
            return;
        }
        const std::string plugin = cloud::find_mosquitto_plugin(options_.plugin);
        if (plugin.empty()) {
            throw RunError("the fota Mosquitto plugin (libfota_mosquitto_plugin.so) was not found; "
                           "pass --plugin PATH or set FOTA_MOSQUITTO_PLUGIN");
        }
        cloud::ObjectServerConfig object_config;
        object_config.address = "127.0.0.1";
        object_config.port = 0;
        object_server_ = std::make_unique<cloud::ObjectServer>(io_, object_config);
        try {
            object_server_->start();
        } catch (const std::exception& e) {
            throw RunError(std::string("object server did not start: ") + e.what());
        }
        objects_ = std::make_unique<LocalObjects>(*object_server_);
        work_.emplace(io_.get_executor());
        for (unsigned i = 0; i < std::max(1u, options_.threads); ++i) {
            threads_.emplace_back([this] { io_.run(); });
        }
        io_threads_running_ = true;

        cloud::BrokerOptions broker;
        broker.mosquitto = options_.mosquitto;
        broker.plugin_path = plugin;
        broker.address = "127.0.0.1";
        broker.work_dir = work_dir_ + "/broker";
        std::filesystem::create_directories(broker.work_dir);
        broker.extra_environment = options_.broker_environment;
        broker.plugin_options["object_endpoint"] = objects_->endpoint();
        broker_options_ = broker;
        broker_ = std::make_unique<cloud::BrokerProcess>(broker);
        try {
            broker_->start();
        } catch (const std::exception& e) {
            throw RunError(std::string("mosquitto did not start: ") + e.what());
        }
        control_ = std::make_unique<ControlClient>(broker_->control_endpoint());
        mqtt_host_ = "127.0.0.1";
        mqtt_port_ = broker_->mqtt_port();
        control_endpoint_ = broker_->control_endpoint();
    }

    // A running stack (e.g. `fota-sim cloud`): nothing to start but the device threads. What an
    // earlier run left there under this scenario's names (its jobs, the things' shadows) is
    // removed first, so that a scenario can run again against the same stack.
    void start_url_stack() {
        objects_ = std::make_unique<RemoteObjects>(stack_.object_url);
        control_endpoint_ = stack_.control_url;
        while (!control_endpoint_.empty() && control_endpoint_.back() == '/') {
            control_endpoint_.pop_back();
        }
        control_ = std::make_unique<ControlClient>(control_endpoint_);
        const auto mqtt = host_and_port(stack_.mqtt_url);
        mqtt_host_ = mqtt->first;
        mqtt_port_ = mqtt->second;
        work_.emplace(io_.get_executor());
        for (unsigned i = 0; i < std::max(1u, options_.threads); ++i) {
            threads_.emplace_back([this] { io_.run(); });
        }
        io_threads_running_ = true;
        std::vector<json> jobs;
        for (const Step& step : scenario_.steps) {
            if (const auto* job = std::get_if<CreateJobStep>(&step.action)) {
                jobs.push_back({{"jobId", job->job_id}, {"force", true}});
            }
        }
        control_->call_many("delete_job", jobs, true);
        std::vector<json> shadows;
        for (const std::string& thing : scenario_.thing_names(DeviceSelector{})) {
            shadows.push_back({{"thingName", thing}});
        }
        control_->call_many("delete_thing_shadow", shadows, true);
    }

    void publish_firmware() {
        const auto endpoint = host_and_port(objects_->endpoint());
        const std::string host = endpoint->first + ":" + std::to_string(endpoint->second);
        for (const Firmware& f : scenario_.firmware) {
            const std::string key = f.object_key.empty() ? f.id + ".bin" : f.object_key;
            objects_->put_object(bucket_, key, images_.at(f.id));
            PublishedFirmware p;
            p.protocol = "http";
            p.host = host;
            p.path = bucket_ + "/" + key;
            p.url = "http://" + host + "/" + p.path;
            p.s3_url = "https://s3.us-east-1.amazonaws.com/" + bucket_ + "/" + key;
            const auto& bytes = images_.at(f.id);
            const auto digest = flash::sha256(std::span<const std::uint8_t>(
                reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
            static const char* hex = "0123456789abcdef";
            for (const std::uint8_t b : digest) {
                p.sha256 += hex[b >> 4];
                p.sha256 += hex[b & 15];
            }
            published_[f.id] = p;
        }
    }

    void create_devices() {
        std::size_t index = 0;
        for (const DeviceGroup& group : scenario_.devices) {
            const FlashLayout layout = flash_layout(group.flash);
            for (std::uint32_t i = 0; i < group.count; ++i, ++index) {
                Device d;
                d.thing = group.thing_prefix + std::to_string(i);
                d.group = &group;
                recorder_.add_thing(d.thing);
                runner::HostDeviceOptions o;
                o.thing = d.thing;
                o.mqtt_host = mqtt_host_;
                o.mqtt_port = mqtt_port_;
                o.shadow_base_url = control_endpoint_;
                d.flash_file = work_dir_ + "/" + d.thing + ".flash";
                d.flash = layout;
                o.flash_file = d.flash_file;
                o.flash_geometry = d.flash.geometry;
                o.flash_layout = d.flash.layout;
                o.image_file = image_files_.at(group.initial_firmware);
                o.verified = group.profile == ProfileName::verified;
                o.clean_session = group.clean_session;
                o.seed = seed_ * 1'000'003u + index;
                d.runtime = std::make_unique<runner::HostDevice>(
                    io_, o,
                    [this, thing = d.thing](std::string_view name, std::string_view detail) {
                        return recorder_.event(thing, name, detail);
                    });
                devices_.push_back(std::move(d));
            }
        }
        if (devices_.empty()) {
            throw RunError(scenario_.file + ": the scenario has no devices");
        }
        std::vector<json> things;
        for (const Device& d : devices_) {
            things.push_back({{"thingName", d.thing}});
        }
        control_->call_many("create_thing", things);
        for (Device& d : devices_) {
            if (d.group->autostart) {
                d.runtime->start();
                d.started = true;
            }
        }
    }

    // ---- observing ----
    void check_time() const {
        if (options_.interrupted != nullptr && options_.interrupted->load()) {
            throw RunError("interrupted");
        }
        if (Clock::now() > deadline_) {
            throw RunError(scenario_.file + ": the scenario's deadline (" +
                           std::to_string(scenario_.deadline.count() / 1000) + " s) passed");
        }
        if (broker_ && !broker_restarting_ && !broker_->check_alive()) {
            throw RunError("mosquitto exited during the run; its log:\n" + broker_->log());
        }
    }

    runner::HostDeviceStatus status_of(const Device& d) const {
        auto status = d.runtime->status(std::chrono::seconds(10));
        if (!status) {
            throw RunError("device " + d.thing + " did not answer a status request in 10 s");
        }
        return *status;
    }

    std::vector<const Device*> select(const DeviceSelector& selector) const {
        std::vector<const Device*> out;
        for (const Device& d : devices_) {
            if (selector.all || std::find(selector.things.begin(), selector.things.end(),
                                          d.thing) != selector.things.end()) {
                out.push_back(&d);
            }
        }
        return out;
    }

    /// The executions of job for devices, in order (null when there is none).
    std::vector<json> executions(const std::string& job,
                                 const std::vector<const Device*>& devices) const {
        std::vector<json> args;
        for (const Device* d : devices) {
            args.push_back({{"jobId", job}, {"thingName", d->thing}});
        }
        std::vector<json> out;
        for (const json& reply : control_->call_many("describe_job_execution", args, true)) {
            out.push_back(reply.contains("__error") ? json() : reply.value("execution", json()));
        }
        return out;
    }

    /// Collects per-device observations: "thing: value" for those that do not hold (at most a few).
    struct Tally {
        std::size_t failing = 0;
        std::string observed;
        std::map<std::string, std::size_t> values;
        void add(const std::string& thing, bool ok, const std::string& value) {
            ++values[value];
            if (!ok) {
                if (++failing <= 5) {
                    observed += (observed.empty() ? "" : "; ") + thing + ": " + value;
                }
            }
        }
        std::string summary() const {
            if (failing == 0) {
                std::string s;
                for (const auto& [value, n] : values) {
                    s += (s.empty() ? "" : ", ") + value +
                         (values.size() > 1 || n > 1 ? " x" + std::to_string(n) : "");
                }
                return s;
            }
            return observed +
                   (failing > 5 ? "; ... (" + std::to_string(failing) + " devices)" : "");
        }
    };

    static std::string statuses_text(const std::vector<ExecutionStatus>& statuses) {
        std::string s;
        for (const auto st : statuses) {
            s += (s.empty() ? "" : " or ") + std::string(to_string(st));
        }
        return s;
    }

    Check evaluate(const Condition& c) const {
        Check check;
        Tally tally;
        switch (c.kind) {
        case Condition::Kind::execution_status: {
            check.expected = "execution of " + c.job + " " + statuses_text(c.statuses);
            const auto selected = select(c.devices);
            const auto found = executions(c.job, selected);
            for (std::size_t i = 0; i < selected.size(); ++i) {
                const Device* d = selected[i];
                const json& e = found[i];
                const std::string status = e.is_object() ? e.value("status", "?") : "none";
                bool ok = false;
                for (const auto st : c.statuses) {
                    ok = ok || status == to_string(st);
                }
                tally.add(d->thing, ok, status);
            }
            break;
        }
        case Condition::Kind::job_status: {
            check.expected = "job " + c.job + " " + to_string(c.job_status);
            const json reply = control_->call("describe_job", {{"jobId", c.job}}, true);
            const std::string status =
                reply.contains("job") ? reply["job"].value("status", "?") : "none";
            tally.add("job " + c.job, status == to_string(c.job_status), status);
            break;
        }
        case Condition::Kind::device_phase:
            check.expected = std::string("phase ") + to_string(c.phase) + " reached";
            for (const Device* d : select(c.devices)) {
                const bool ok = recorder_.reached(d->thing, c.phase);
                tally.add(d->thing, ok, ok ? "reached" : "not reached");
            }
            break;
        case Condition::Kind::downloaded_bytes:
            check.expected = "at least " + std::to_string(c.bytes) + " bytes downloaded";
            for (const Device* d : select(c.devices)) {
                const std::uint64_t n = d->started ? status_of(*d).download_bytes : 0;
                tally.add(d->thing, n >= c.bytes, std::to_string(n) + " bytes");
            }
            break;
        case Condition::Kind::running_version:
            check.expected = "running " + c.version;
            for (const Device* d : select(c.devices)) {
                const std::string v = d->started ? status_of(*d).running_version : "off";
                tally.add(d->thing, same_version(v, c.version), v);
            }
            break;
        case Condition::Kind::all_of:
        case Condition::Kind::any_of: {
            const bool all = c.kind == Condition::Kind::all_of;
            check.expected = all ? "all of (" : "any of (";
            std::size_t held = 0;
            for (const Condition& child : c.children) {
                const Check sub = evaluate(child);
                check.expected += (held + tally.failing == 0 ? "" : "; ") + sub.expected;
                if (sub.passed) {
                    ++held;
                } else {
                    tally.add("(" + sub.expected + ")", false, sub.observed);
                }
            }
            check.expected += ")";
            check.passed = all ? tally.failing == 0 : held > 0;
            check.observed = tally.summary();
            return check;
        }
        }
        check.passed = tally.failing == 0;
        check.observed = tally.summary();
        return check;
    }

    // ---- steps ----
    bool run_step(const Step& step) {
        check_time();
        if (const auto* job = std::get_if<CreateJobStep>(&step.action)) {
            create_job(*job);
            return true;
        }
        if (const auto* wait = std::get_if<WaitForStep>(&step.action)) {
            const auto started = Clock::now();
            const auto until = started + wait->timeout;
            Check check;
            while (true) {
                check = evaluate(wait->condition);
                if (check.passed || Clock::now() >= until) {
                    break;
                }
                pause();
            }
            if (!check.passed) {
                add_result(
                    "wait_for " + check.expected + " (line " + std::to_string(step.mark.line) + ")",
                    false,
                    check.expected + " within " + std::to_string(wait->timeout.count()) + " ms",
                    check.observed, step.mark.line, started);
            }
            return check.passed;
        }
        if (const auto* hold = std::get_if<HoldStep>(&step.action)) {
            const auto started = Clock::now();
            const auto until = started + hold->duration;
            while (true) {
                const Check check = evaluate(hold->condition);
                if (!check.passed) {
                    add_result(
                        "hold " + check.expected + " (line " + std::to_string(step.mark.line) + ")",
                        false,
                        check.expected + " for " + std::to_string(hold->duration.count()) + " ms",
                        check.observed, step.mark.line, started);
                    return false;
                }
                if (Clock::now() >= until) {
                    return true;
                }
                pause();
            }
        }
        if (const auto* start = std::get_if<StartDevicesStep>(&step.action)) {
            for (const Device* selected : select(start->devices)) {
                auto& d = const_cast<Device&>(*selected);
                if (!d.started) {
                    d.runtime->start();
                    d.started = true;
                }
            }
            return true;
        }
        if (const auto* reboot = std::get_if<RebootStep>(&step.action)) {
            for (const Device* d : started(reboot->devices)) {
                d->runtime->reboot();
            }
            return true;
        }
        if (const auto* cut = std::get_if<PowerCutStep>(&step.action)) {
            power_cut(*cut);
            return true;
        }
        if (const auto* flash = std::get_if<FlashFaultStep>(&step.action)) {
            flash_fault(*flash, step);
            return true;
        }
        if (const auto* net = std::get_if<NetworkFaultStep>(&step.action)) {
            network_fault(*net);
            return true;
        }
        if (const auto* http = std::get_if<HttpFaultStep>(&step.action)) {
            http_fault(*http);
            return true;
        }
        if (const auto* cloud = std::get_if<CloudFaultStep>(&step.action)) {
            cloud_fault(*cloud);
            return true;
        }
        if (const auto* cancel = std::get_if<CancelJobStep>(&step.action)) {
            end_job(cancel->job_id, cancel->force, cancel->devices, false);
            return true;
        }
        if (const auto* del = std::get_if<DeleteJobStep>(&step.action)) {
            end_job(del->job_id, del->force, del->devices, true);
            return true;
        }
        if (const auto* restart = std::get_if<RestartBrokerStep>(&step.action)) {
            restart_broker(*restart);
            return true;
        }
        unsupported(scenario_, step.mark,
                    std::string("step kind '") + step_name(step.action) + "'");
    }

    /// The selected devices that are powered (started).
    std::vector<const Device*> started(const DeviceSelector& selector) const {
        std::vector<const Device*> out;
        for (const Device* d : select(selector)) {
            if (d->started) {
                out.push_back(d);
            }
        }
        return out;
    }

    void power_cut(const PowerCutStep& cut) {
        std::uint64_t index = 0;
        for (const Device* d : started(cut.devices)) {
            ++index;
            if (!cut.at_phase) {
                d->runtime->cut_power(cut.off_for);
            } else if (*cut.at_phase == DevicePhase::swapping) {
                // The swap runs inside the boot loader: the cut is placed at one of its flash
                // operations, chosen from the seed.
                d->runtime->cut_power_during_swap(cut.off_for, seed_ * 7'919u + index);
            } else {
                recorder_.arm_cut(d->thing, *cut.at_phase, cut.after_download_bytes.value_or(0),
                                  cut.off_for);
            }
        }
    }

    /// The partition's [offset, offset + size) on a device's flash.
    static std::pair<std::uint64_t, std::uint64_t> partition_region(const FlashLayout& flash,
                                                                    FlashFaultStep::Partition p) {
        using P = FlashFaultStep::Partition;
        switch (p) {
        case P::mcuboot:
            return {0, flash.primary_offset};
        case P::primary:
            return {flash.primary_offset, flash.slot_size};
        case P::secondary:
            return {flash.secondary_offset, flash.slot_size};
        case P::storage:
            return {flash.secondary_offset + flash.slot_size, flash.storage_size};
        case P::any:
            break;
        }
        return {0, flash.secondary_offset + flash.slot_size + flash.storage_size};
    }

    /// The fault plan line (flash::FaultPlan) of a flash_fault step for one device.
    std::string flash_plan_line(const FlashFaultStep& fault, const Device& device,
                                std::uint64_t device_seed) const {
        using K = FlashFaultStep::Kind;
        // The step counts operations from 0; a plan counts them from 1.
        const std::uint64_t first = fault.at_op.value_or(0) + 1;
        switch (fault.kind) {
        case K::power_cut:
            return "cut@" + std::to_string(first) +
                   (fault.torn ? ":torn:seed=" + std::to_string(device_seed) : ":before");
        case K::fail_write:
        case K::fail_erase: {
            const std::string what = fault.kind == K::fail_write ? "fail-write@" : "fail-erase@";
            std::string line;
            if (fault.at_op) {
                for (std::uint32_t i = 0; i < fault.count; ++i) {
                    line += (line.empty() ? "" : ";") + what + std::to_string(first + i);
                }
            } else {
                const auto [offset, size] = partition_region(device.flash, fault.partition);
                line = what + std::to_string(offset) + "+" + std::to_string(size);
            }
            return line;
        }
        case K::bit_flips: {
            std::ostringstream rate;
            rate << fault.rate;
            return "flips=" + rate.str() + ":seed=" + std::to_string(device_seed);
        }
        case K::wear_out:
            return "wear-limit=" + std::to_string(fault.erase_limit);
        }
        return "none";
    }

    void flash_fault(const FlashFaultStep& fault, const Step& step) {
        std::uint64_t index = 0;
        for (const Device* d : started(fault.devices)) {
            const std::string line = flash_plan_line(fault, *d, seed_ * 104'729u + ++index);
            const std::string error = d->runtime->arm_flash_faults(line, fault.off_for);
            if (!error.empty()) {
                throw RunError(where(scenario_, step.mark) + ": flash_fault on " + d->thing + ": " +
                               error);
            }
        }
    }

    void network_fault(const NetworkFaultStep& fault) {
        using K = NetworkFaultStep::Kind;
        for (const Device* d : started(fault.devices)) {
            switch (fault.kind) {
            case K::drop_mqtt:
                if (fault.at_download_byte) {
                    d->runtime->drop_mqtt_at_download_byte(*fault.at_download_byte);
                } else {
                    d->runtime->drop_mqtt();
                }
                break;
            case K::lose_next_message:
                d->runtime->lose_next_message(fault.topic_suffix);
                break;
            case K::stall_http:
                if (fault.at_download_byte) {
                    d->runtime->stall_http_at_download_byte(*fault.at_download_byte,
                                                            fault.duration);
                } else {
                    d->runtime->stall_http_for(fault.duration);
                }
                break;
            case K::offline:
                d->runtime->go_offline(fault.duration);
                break;
            }
        }
    }

    void http_fault(const HttpFaultStep& fault) {
        using K = HttpFaultStep::Kind;
        std::vector<std::string> keys; // empty: every object
        if (!fault.firmware.empty()) {
            keys.push_back(object_key(fault.firmware));
        }
        if (fault.kind == K::replace_object) {
            for (const std::string& key : keys) {
                objects_->put_object(bucket_, key, images_.at(fault.replacement));
            }
            return;
        }
        cloud::ObjectFault f;
        f.bucket = bucket_;
        f.count = fault.count == 0 ? -1 : static_cast<int>(fault.count);
        f.bytes = fault.bytes;
        f.bytes_per_second = fault.bytes_per_second;
        f.status = fault.status;
        f.duration = fault.duration;
        switch (fault.kind) {
        case K::close_after_bytes:
            f.kind = cloud::ObjectFault::Kind::close_after_bytes;
            break;
        case K::throttle:
            f.kind = cloud::ObjectFault::Kind::throttle;
            break;
        case K::error_status:
            f.kind = cloud::ObjectFault::Kind::error_status;
            break;
        case K::slow_down:
            f.kind = cloud::ObjectFault::Kind::error_status;
            f.status = 503;
            f.code = "SlowDown";
            break;
        case K::ignore_range:
            f.kind = cloud::ObjectFault::Kind::ignore_range;
            break;
        case K::wrong_content_range: {
            f.kind = cloud::ObjectFault::Kind::wrong_content_range;
            using E = HttpFaultStep::ContentRangeError;
            f.mismatch = fault.content_range == E::wrong_start   ? "start"
                         : fault.content_range == E::wrong_end   ? "end"
                         : fault.content_range == E::wrong_total ? "total"
                                                                 : "star_total";
            break;
        }
        case K::stall:
            f.kind = cloud::ObjectFault::Kind::stall;
            break;
        case K::redirect:
            // To the object itself: a client that follows redirects would still get it.
            f.kind = cloud::ObjectFault::Kind::redirect;
            f.location = fault.firmware.empty() ? objects_->endpoint() + "/" + bucket_
                                                : published_.at(fault.firmware).url;
            break;
        case K::refuse_connections:
            f.kind = cloud::ObjectFault::Kind::refuse_connections;
            f.bucket.clear(); // connections carry no object
            objects_->add_fault(f);
            return;
        case K::connection_close:
            f.kind = cloud::ObjectFault::Kind::connection_close;
            break;
        case K::long_header:
            f.kind = cloud::ObjectFault::Kind::long_header;
            break;
        case K::lowercase_headers:
            f.kind = cloud::ObjectFault::Kind::lowercase_headers;
            break;
        case K::replace_object:
            return; // done above
        }
        if (keys.empty()) {
            objects_->add_fault(f);
        }
        for (const std::string& key : keys) {
            f.key = key;
            objects_->add_fault(f);
        }
    }

    void cloud_fault(const CloudFaultStep& fault) {
        using K = CloudFaultStep::Kind;
        std::vector<json> args;
        std::string op;
        for (const Device* d : select(fault.devices)) {
            json a = {{"thingName", d->thing}};
            switch (fault.kind) {
            case K::duplicate_notify_next:
                op = "duplicate_next_notify_next";
                break;
            case K::deliver_document_twice:
                op = "duplicate_next_job_document";
                break;
            case K::reject_next_update:
                op = "reject_next_update";
                a["code"] = to_string(fault.code);
                break;
            case K::delay_reply:
                // The cloud holds replies back in whole seconds (its clock ticks in seconds).
                op = "delay_next_reply";
                a["seconds"] = (fault.delay.count() + 999) / 1000;
                a["topicSuffix"] = fault.topic_suffix;
                break;
            case K::drop_reply:
                op = "drop_next_reply";
                a["topicSuffix"] = fault.topic_suffix;
                break;
            }
            args.push_back(std::move(a));
        }
        if (!args.empty()) {
            control_->call_many(op, args);
        }
    }

    /// CancelJob / DeleteJob, or per device CancelJobExecution / DeleteJobExecution.
    void end_job(const std::string& job, bool force, const std::optional<DeviceSelector>& devices,
                 bool remove) {
        if (!devices) {
            control_->call(remove ? "delete_job" : "cancel_job",
                           {{"jobId", job}, {"force", force}});
            return;
        }
        const auto selected = select(*devices);
        std::vector<json> args;
        if (remove) {
            const auto found = executions(job, selected);
            for (std::size_t i = 0; i < selected.size(); ++i) {
                if (found[i].is_object()) {
                    args.push_back({{"jobId", job},
                                    {"thingName", selected[i]->thing},
                                    {"executionNumber", found[i].value("executionNumber", 1)},
                                    {"force", force}});
                }
            }
        } else {
            for (const Device* d : selected) {
                args.push_back({{"jobId", job}, {"thingName", d->thing}, {"force", force}});
            }
        }
        control_->call_many(remove ? "delete_job_execution" : "cancel_job_execution", args);
    }

    void restart_broker(const RestartBrokerStep& restart) {
        // Same ports, same work folder (and so the same SQLite state): for the devices it is the
        // broker going away and coming back.
        cloud::BrokerOptions options = broker_options_;
        options.mqtt_port = broker_->mqtt_port();
        options.control_port = broker_->control_port();
        broker_restarting_ = true;
        if (!broker_->stop()) {
            report_.log += "restart_broker: mosquitto did not exit cleanly\n";
        }
        const auto until = Clock::now() + restart.down_for;
        while (Clock::now() < until) {
            pause();
        }
        broker_ = std::make_unique<cloud::BrokerProcess>(options);
        broker_restarting_ = false;
        try {
            broker_->start();
        } catch (const std::exception& e) {
            throw RunError(std::string("restart_broker: mosquitto did not start again: ") +
                           e.what());
        }
        control_ = std::make_unique<ControlClient>(broker_->control_endpoint());
        control_endpoint_ = broker_->control_endpoint();
    }

    std::string object_key(const std::string& firmware_id) const {
        const Firmware* f = scenario_.find_firmware(firmware_id);
        return f == nullptr || f->object_key.empty() ? firmware_id + ".bin" : f->object_key;
    }

    void pause() {
        check_time();
        std::this_thread::sleep_for(milliseconds(100)); // polling interval, not a verdict
    }

    void create_job(const CreateJobStep& job) {
        const Firmware* firmware = scenario_.find_firmware(job.firmware);
        const json document = build_job_document(job, *firmware, published_.at(job.firmware));
        json targets = json::array();
        for (const std::string& thing : scenario_.thing_names(job.targets)) {
            targets.push_back(thing_arn(thing));
        }
        json body = {{"targets", targets}, {"document", document.dump()}};
        if (!job.description.empty()) {
            body["description"] = job.description;
        }
        body["targetSelection"] = job.continuous ? "CONTINUOUS" : "SNAPSHOT";
        if (job.presigned_url_expiry ||
            (job.document_template == DocumentTemplate::presigned_url && !job.document)) {
            // The cloud signs ${aws:iot:s3-presigned-url:...} for the object server.
            body["presignedUrlConfig"] = {
                {"roleArn", "arn:aws:iam::123456789012:role/fota-sim-presign"},
                {"expiresInSec",
                 job.presigned_url_expiry ? job.presigned_url_expiry->count() : 3600}};
        }
        if (job.in_progress_timeout_minutes) {
            body["timeoutConfig"] = {
                {"inProgressTimeoutInMinutes", *job.in_progress_timeout_minutes}};
        }
        if (job.rollout && job.rollout->maximum_per_minute) {
            body["jobExecutionsRolloutConfig"] = {
                {"maximumPerMinute", *job.rollout->maximum_per_minute}};
        }
        if (job.rollout && job.rollout->exponential_rate) {
            const auto& rate = *job.rollout->exponential_rate;
            json increase = json::object();
            if (rate.number_of_notified_things) {
                increase["numberOfNotifiedThings"] = *rate.number_of_notified_things;
            }
            if (rate.number_of_succeeded_things) {
                increase["numberOfSucceededThings"] = *rate.number_of_succeeded_things;
            }
            body["jobExecutionsRolloutConfig"]["exponentialRate"] = {
                {"baseRatePerMinute", rate.base_rate_per_minute},
                {"incrementFactor", rate.increment_factor},
                {"rateIncreaseCriteria", increase}};
        }
        const auto failure_type = [](FailureType type) {
            switch (type) {
            case FailureType::failed:
                return "FAILED";
            case FailureType::rejected:
                return "REJECTED";
            case FailureType::timed_out:
                return "TIMED_OUT";
            case FailureType::all:
                break;
            }
            return "ALL";
        };
        if (!job.abort.empty()) {
            json criteria = json::array();
            for (const AbortCriterion& c : job.abort) {
                criteria.push_back(
                    {{"failureType", failure_type(c.failure_type)},
                     {"action", "CANCEL"},
                     {"thresholdPercentage", c.threshold_percentage},
                     {"minNumberOfExecutedThings", c.min_number_of_executed_things}});
            }
            body["abortConfig"] = {{"criteriaList", criteria}};
        }
        if (!job.retry.empty()) {
            json criteria = json::array();
            for (const RetryCriterion& c : job.retry) {
                criteria.push_back({{"failureType", failure_type(c.failure_type)},
                                    {"numberOfRetries", c.number_of_retries}});
            }
            body["jobExecutionsRetryConfig"] = {{"criteriaList", criteria}};
        }
        control_->call("create_job", {{"jobId", job.job_id}, {"body", body}});
        jobs_.push_back(job.job_id);
    }

    // ---- expectations ----
    void add_result(const std::string& name, bool passed, const std::string& expected,
                    const std::string& observed, int line, Clock::time_point started,
                    bool evaluated = true) {
        ExpectationResult r;
        r.name = name;
        r.passed = passed;
        r.evaluated = evaluated;
        r.expected = expected;
        r.observed = observed;
        r.line = line;
        r.seconds = std::chrono::duration<double>(Clock::now() - started).count();
        report_.expectations.push_back(std::move(r));
    }

    void skip_expectations() {
        for (const Expectation& e : scenario_.expectations) {
            add_result(describe(e), false, "", "not checked: a step failed", e.mark.line,
                       Clock::now(), false);
        }
    }

    bool check_expectation(const Expectation& e) {
        const auto started = Clock::now();
        const auto until = started + e.within;
        Check check;
        while (true) {
            check_time();
            check = observe(e);
            if (check.passed || Clock::now() >= until) {
                break;
            }
            pause();
        }
        add_result(describe(e), check.passed, check.expected, check.observed, e.mark.line, started);
        return check.passed;
    }

    std::string read_slot(const Device& d, Slot slot, std::size_t length) const {
        const std::uint64_t offset =
            slot == Slot::primary ? d.flash.primary_offset : d.flash.secondary_offset;
        std::ifstream in(d.flash_file, std::ios::binary);
        std::string bytes(length, '\0');
        in.seekg(static_cast<std::streamoff>(offset));
        in.read(bytes.data(), static_cast<std::streamsize>(length));
        if (!in) {
            return {};
        }
        return bytes;
    }

    Check observe(const Expectation& e) const {
        Check check;
        Tally tally;
        using K = Expectation::Kind;
        switch (e.kind) {
        case K::execution_status: {
            check.expected = "execution of " + e.job + " " + to_string(e.execution_status);
            if (e.status_details) {
                check.expected += " with statusDetails " + e.status_details->dump();
            }
            const auto selected = select(e.devices);
            const auto found = executions(e.job, selected);
            for (std::size_t i = 0; i < selected.size(); ++i) {
                const Device* d = selected[i];
                const json& x = found[i];
                const std::string status = x.is_object() ? x.value("status", "?") : "none";
                bool ok = status == to_string(e.execution_status);
                std::string value = status;
                if (e.status_details) {
                    const json details =
                        x.is_object() ? x.value("statusDetails", json::object()) : json::object();
                    ok = ok && status_details_match(*e.status_details, details);
                    value += " " + details.dump();
                }
                tally.add(d->thing, ok, value);
            }
            break;
        }
        case K::job_status: {
            check.expected = "job " + e.job + " " + to_string(e.job_status);
            const json reply = control_->call("describe_job", {{"jobId", e.job}}, true);
            const std::string status =
                reply.contains("job") ? reply["job"].value("status", "?") : "none";
            tally.add("job " + e.job, status == to_string(e.job_status), status);
            break;
        }
        case K::running_version:
            check.expected = "running " + e.version;
            if (e.confirmed) {
                check.expected += *e.confirmed ? " (confirmed)" : " (not confirmed)";
            }
            for (const Device* d : select(e.devices)) {
                if (!d->started) {
                    tally.add(d->thing, false, "off");
                    continue;
                }
                const runner::HostDeviceStatus s = status_of(*d);
                const bool ok = same_version(s.running_version, e.version) &&
                                (!e.confirmed || s.confirmed == *e.confirmed);
                tally.add(d->thing, ok,
                          s.running_version + (s.confirmed ? " (confirmed)" : " (not confirmed)"));
            }
            break;
        case K::shadow_version: {
            check.expected = "shadow reports " + e.version;
            const auto selected = select(e.devices);
            std::vector<json> args;
            for (const Device* d : selected) {
                args.push_back({{"thingName", d->thing}});
            }
            const auto shadows = control_->call_many("get_thing_shadow", args, true);
            for (std::size_t i = 0; i < selected.size(); ++i) {
                const Device* d = selected[i];
                const json& shadow = shadows[i];
                std::string value = "no shadow";
                const std::string key =
                    runner::shadow_version_key(d->group->profile == ProfileName::verified);
                if (shadow.contains("state") && shadow["state"].contains("reported") &&
                    shadow["state"]["reported"].contains(key)) {
                    const json& v = shadow["state"]["reported"][key];
                    value = v.is_string() ? v.get<std::string>() : v.dump();
                }
                tally.add(d->thing, same_version(value, e.version), value);
            }
            break;
        }
        case K::slot: {
            const char* slot_name = e.slot == Slot::primary ? "primary" : "secondary";
            check.expected = std::string(slot_name) + " slot holds " +
                             (e.slot_erased ? std::string("nothing (erased)") : e.slot_firmware);
            for (const Device* d : select(e.devices)) {
                std::string value;
                bool ok = false;
                if (e.slot_erased) {
                    const std::string bytes = read_slot(*d, e.slot, d->flash.slot_size);
                    const unsigned char erased = d->flash.erased_value;
                    ok =
                        !bytes.empty() && std::all_of(bytes.begin(), bytes.end(), [erased](char c) {
                            return static_cast<unsigned char>(c) == erased;
                        });
                    value = ok ? "erased" : "not erased";
                } else {
                    const std::string& image = images_.at(e.slot_firmware);
                    ok = read_slot(*d, e.slot, image.size()) == image;
                    value = ok ? e.slot_firmware : "not " + e.slot_firmware;
                    for (const auto& [id, other] : images_) {
                        if (!ok && read_slot(*d, e.slot, other.size()) == other) {
                            value = id;
                        }
                    }
                }
                tally.add(d->thing, ok, value);
            }
            break;
        }
        case K::downloads:
            check.expected = "download attempts " + describe_range(e.download_attempts) +
                             ", range requests " + describe_range(e.range_requests) + ", bytes " +
                             describe_range(e.bytes);
            for (const Device* d : select(e.devices)) {
                const std::uint64_t attempts = recorder_.download_attempts(d->thing);
                const runner::HostDeviceStatus s =
                    d->started ? status_of(*d) : runner::HostDeviceStatus{};
                const bool ok = in_range(e.download_attempts, attempts) &&
                                in_range(e.range_requests, s.http_requests) &&
                                in_range(e.bytes, s.download_bytes);
                tally.add(d->thing, ok,
                          "attempts " + std::to_string(attempts) + ", range requests " +
                              std::to_string(s.http_requests) + ", bytes " +
                              std::to_string(s.download_bytes));
            }
            break;
        case K::no_execution_in_progress: {
            check.expected = "no execution IN_PROGRESS";
            const std::vector<std::string> jobs =
                e.job.empty() ? jobs_ : std::vector<std::string>{e.job};
            const auto all = select(DeviceSelector{});
            for (const std::string& job : jobs) {
                const auto found = executions(job, all);
                for (std::size_t i = 0; i < all.size(); ++i) {
                    const json& x = found[i];
                    const std::string status = x.is_object() ? x.value("status", "?") : "none";
                    tally.add(all[i]->thing + " (" + job + ")", status != "IN_PROGRESS", status);
                }
            }
            break;
        }
        case K::phases: {
            check.expected = "phases reached:";
            for (const auto p : e.reached) {
                check.expected += std::string(" ") + to_string(p);
            }
            check.expected += "; not reached:";
            for (const auto p : e.not_reached) {
                check.expected += std::string(" ") + to_string(p);
            }
            for (const Device* d : select(e.devices)) {
                std::string wrong;
                for (const auto p : e.reached) {
                    if (!recorder_.reached(d->thing, p)) {
                        wrong += std::string(" missing ") + to_string(p);
                    }
                }
                for (const auto p : e.not_reached) {
                    if (recorder_.reached(d->thing, p)) {
                        wrong += std::string(" reached ") + to_string(p);
                    }
                }
                tally.add(d->thing, wrong.empty(), wrong.empty() ? "as expected" : wrong.substr(1));
            }
            break;
        }
        case K::boots:
            check.expected = "boots " + describe_range(e.count);
            for (const Device* d : select(e.devices)) {
                const std::uint32_t boots = d->started ? status_of(*d).boots : 0;
                tally.add(d->thing, in_range(e.count, boots), std::to_string(boots) + " boots");
            }
            break;
        case K::job_updates: {
            // As the devices published them (the runtime reports every publish), accepted by
            // the cloud or not.
            const std::string status = e.update_status ? to_string(*e.update_status) : "";
            check.expected = "job updates of " + e.job +
                             (status.empty() ? "" : " with status " + status) + " published " +
                             describe_range(e.count);
            for (const Device* d : select(e.devices)) {
                const std::uint64_t n = recorder_.updates(d->thing, e.job, status);
                tally.add(d->thing, in_range(e.count, n), std::to_string(n) + " updates");
            }
            break;
        }
        }
        check.passed = tally.failing == 0;
        check.observed = tally.summary();
        return check;
    }

    const Scenario& scenario_;
    const RunnerOptions& options_;
    ScenarioReport& report_;
    /// The stack this run uses: the scenario's, or the one RunnerOptions::stack gives.
    StackConfig stack_ = options_.stack ? *options_.stack : scenario_.stack;
    std::string bucket_ =
        stack_.kind == StackKind::url && !stack_.bucket.empty() ? stack_.bucket : "firmware";
    std::string mqtt_host_;
    std::uint16_t mqtt_port_ = 0;
    std::string control_endpoint_;
    std::uint64_t seed_ = options_.seed ? *options_.seed : scenario_.seed;
    Clock::time_point start_;
    Clock::time_point deadline_;
    EventRecorder recorder_;
    std::string work_dir_;
    std::map<std::string, std::string> images_;
    std::map<std::string, std::string> image_files_;
    std::map<std::string, PublishedFirmware> published_;
    std::vector<std::string> jobs_;
    boost::asio::io_context io_;
    std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
    std::vector<std::thread> threads_;
    bool io_threads_running_ = false;
    bool torn_down_ = false;
    std::unique_ptr<cloud::ObjectServer> object_server_; // embedded stack
    std::unique_ptr<Objects> objects_;
    cloud::BrokerOptions broker_options_;
    bool broker_restarting_ = false; // between restart_broker's stop and start
    std::unique_ptr<cloud::BrokerProcess> broker_;
    std::unique_ptr<ControlClient> control_;
    std::vector<Device> devices_;
};

} // namespace

ScenarioReport run_scenario(const Scenario& scenario, const RunnerOptions& options) {
    ScenarioReport report;
    report.name = scenario.name;
    report.file = scenario.file;
    report.description = scenario.description;
    report.seed = options.seed ? *options.seed : scenario.seed;
    if (options.stack && options.stack->kind == StackKind::url) {
        report.run_options = {{"--control-url", options.stack->control_url},
                              {"--mqtt-url", options.stack->mqtt_url},
                              {"--object-url", options.stack->object_url}};
        if (!options.stack->bucket.empty()) {
            report.run_options.emplace_back("--bucket", options.stack->bucket);
        }
    }
    report.started_at = std::chrono::system_clock::now();
    const auto started = Clock::now();
    {
        Run run(scenario, options, report);
        try {
            run.execute();
        } catch (const std::exception& e) {
            report.outcome = Outcome::error;
            report.error = e.what();
        }
        try {
            run.finish_report();
        } catch (const std::exception& e) {
            report.log += std::string("report: ") + e.what() + "\n";
        }
        run.teardown();
    }
    report.seconds = std::chrono::duration<double>(Clock::now() - started).count();
    return report;
}

ScenarioReport run_scenario_file(const std::string& path, const RunnerOptions& options) {
    const ParseResult parsed = parse_scenario_file(path);
    if (!parsed.ok()) {
        ScenarioReport report;
        report.name = std::filesystem::path(path).stem().string();
        report.file = path;
        report.seed = options.seed.value_or(0);
        report.started_at = std::chrono::system_clock::now();
        report.outcome = Outcome::error;
        for (const Diagnostic& d : parsed.errors) {
            report.error += (report.error.empty() ? "" : "\n") + d.to_string();
        }
        return report;
    }
    return run_scenario(*parsed.scenario, options);
}

} // namespace fota::sim
