// The steps of a scenario: one function of Run per step kind (see run.hpp).
#include "run.hpp"

#include "run_error.hpp"

#include "scenario/job_document.hpp"

#include <sstream>

namespace fota::sim::runner {

using json = nlohmann::json;

namespace {

std::string thing_arn(const std::string& thing) {
    return "arn:aws:iot:us-east-1:123456789012:thing/" + thing;
}

const char* failure_type_name(FailureType type) {
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
}

/// The CreateJob body's rollout, abort and retry configs of a create_job step.
void add_job_configs(const CreateJobStep& job, json& body) {
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
    if (!job.abort.empty()) {
        json criteria = json::array();
        for (const AbortCriterion& c : job.abort) {
            criteria.push_back({{"failureType", failure_type_name(c.failure_type)},
                                {"action", "CANCEL"},
                                {"thresholdPercentage", c.threshold_percentage},
                                {"minNumberOfExecutedThings", c.min_number_of_executed_things}});
        }
        body["abortConfig"] = {{"criteriaList", criteria}};
    }
    if (!job.retry.empty()) {
        json criteria = json::array();
        for (const RetryCriterion& c : job.retry) {
            criteria.push_back({{"failureType", failure_type_name(c.failure_type)},
                                {"numberOfRetries", c.number_of_retries}});
        }
        body["jobExecutionsRetryConfig"] = {{"criteriaList", criteria}};
    }
}

} // namespace

bool Run::run_step(const Step& step) {
    check_time();
    if (const auto* job = std::get_if<CreateJobStep>(&step.action)) {
        create_job(*job);
        return true;
    }
    if (const auto* wait = std::get_if<WaitForStep>(&step.action)) {
        return wait_for(*wait, step);
    }
    if (const auto* held = std::get_if<HoldStep>(&step.action)) {
        return hold(*held, step);
    }
    if (const auto* start = std::get_if<StartDevicesStep>(&step.action)) {
        start_devices(*start);
        return true;
    }
    if (const auto* reboot = std::get_if<RebootStep>(&step.action)) {
        for (const Device* d : started(reboot->devices)) {
            d->device->reboot();
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
    unsupported(scenario_, step.mark, std::string("step kind '") + step_name(step.action) + "'");
}

bool Run::wait_for(const WaitForStep& wait, const Step& step) {
    const RunTime started = stack_->now();
    const RunTime until = started + wait.timeout;
    Check check;
    while (true) {
        check = evaluate(wait.condition);
        if (check.passed || stack_->now() >= until) {
            break;
        }
        pause();
    }
    if (!check.passed) {
        add_result("wait_for " + check.expected + " (line " + std::to_string(step.mark.line) + ")",
                   false,
                   check.expected + " within " + std::to_string(wait.timeout.count()) + " ms",
                   check.observed, step.mark.line, started);
    }
    return check.passed;
}

bool Run::hold(const HoldStep& hold, const Step& step) {
    const RunTime started = stack_->now();
    const RunTime until = started + hold.duration;
    while (true) {
        const Check check = evaluate(hold.condition);
        if (!check.passed) {
            add_result("hold " + check.expected + " (line " + std::to_string(step.mark.line) + ")",
                       false,
                       check.expected + " for " + std::to_string(hold.duration.count()) + " ms",
                       check.observed, step.mark.line, started);
            return false;
        }
        if (stack_->now() >= until) {
            return true;
        }
        pause();
    }
}

void Run::start_devices(const StartDevicesStep& start) {
    for (const Device* selected : select(start.devices)) {
        auto& d = const_cast<Device&>(*selected); // one of devices_
        if (!d.started) {
            d.device->start();
            d.started = true;
        }
    }
}

void Run::create_job(const CreateJobStep& job) {
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
            {"expiresInSec", job.presigned_url_expiry ? job.presigned_url_expiry->count() : 3600}};
    }
    if (job.in_progress_timeout_minutes) {
        body["timeoutConfig"] = {{"inProgressTimeoutInMinutes", *job.in_progress_timeout_minutes}};
    }
    add_job_configs(job, body);
    stack_->call("create_job", {{"jobId", job.job_id}, {"body", body}});
    jobs_.push_back(job.job_id);
}

void Run::power_cut(const PowerCutStep& cut) {
    std::uint64_t index = 0;
    for (const Device* d : started(cut.devices)) {
        ++index;
        if (!cut.at_phase) {
            d->device->cut_power(cut.off_for);
        } else if (*cut.at_phase == DevicePhase::swapping) {
            // The swap runs inside the boot loader: the cut is placed at one of its flash
            // operations, chosen from the seed.
            d->device->cut_power_during_swap(cut.off_for, seed_ * 7'919u + index);
        } else {
            recorder_.arm_cut(d->thing, *cut.at_phase, cut.after_download_bytes.value_or(0),
                              cut.off_for);
        }
    }
}

/// The fault plan line (flash::FaultPlan) of a flash_fault step for one device.
std::string Run::flash_plan_line(const FlashFaultStep& fault, const Device& device,
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

void Run::flash_fault(const FlashFaultStep& fault, const Step& step) {
    std::uint64_t index = 0;
    for (const Device* d : started(fault.devices)) {
        const std::string line = flash_plan_line(fault, *d, seed_ * 104'729u + ++index);
        const std::string error = d->device->arm_flash_faults(line, fault.off_for);
        if (!error.empty()) {
            throw RunError(where(scenario_, step.mark) + ": flash_fault on " + d->thing + ": " +
                           error);
        }
    }
}

void Run::network_fault(const NetworkFaultStep& fault) {
    using K = NetworkFaultStep::Kind;
    for (const Device* d : started(fault.devices)) {
        switch (fault.kind) {
        case K::drop_mqtt:
            if (fault.at_download_byte) {
                d->device->drop_mqtt_at_download_byte(*fault.at_download_byte);
            } else {
                d->device->drop_mqtt();
            }
            break;
        case K::lose_next_message:
            d->device->lose_next_message(fault.topic_suffix);
            break;
        case K::stall_http:
            if (fault.at_download_byte) {
                d->device->stall_http_at_download_byte(*fault.at_download_byte, fault.duration);
            } else {
                d->device->stall_http_for(fault.duration);
            }
            break;
        case K::offline:
            d->device->go_offline(fault.duration);
            break;
        }
    }
}

void Run::http_fault(const HttpFaultStep& fault) {
    using K = HttpFaultStep::Kind;
    std::vector<std::string> keys; // empty: every object
    if (!fault.firmware.empty()) {
        keys.push_back(object_key(scenario_, fault.firmware));
    }
    if (fault.kind == K::replace_object) {
        for (const std::string& key : keys) {
            stack_->put_object(key, images_.bytes.at(fault.replacement));
        }
        return;
    }
    cloud::ObjectFault f;
    f.bucket = stack_->bucket();
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
        f.location = fault.firmware.empty() ? stack_->object_endpoint() + "/" + stack_->bucket()
                                            : published_.at(fault.firmware).url;
        break;
    case K::refuse_connections:
        f.kind = cloud::ObjectFault::Kind::refuse_connections;
        f.bucket.clear(); // connections carry no object
        stack_->add_object_fault(f);
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
        stack_->add_object_fault(f);
    }
    for (const std::string& key : keys) {
        f.key = key;
        stack_->add_object_fault(f);
    }
}

void Run::cloud_fault(const CloudFaultStep& fault) {
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
        stack_->call_many(op, args);
    }
}

/// CancelJob / DeleteJob, or per device CancelJobExecution / DeleteJobExecution.
void Run::end_job(const std::string& job, bool force, const std::optional<DeviceSelector>& devices,
                  bool remove) {
    if (!devices) {
        stack_->call(remove ? "delete_job" : "cancel_job", {{"jobId", job}, {"force", force}});
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
    stack_->call_many(remove ? "delete_job_execution" : "cancel_job_execution", args);
}

void Run::restart_broker(const RestartBrokerStep& restart) {
    stack_->restart_broker(restart.down_for);
}

} // namespace fota::sim::runner
