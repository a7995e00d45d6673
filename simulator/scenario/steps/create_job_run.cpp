// Step create_job, executed: CreateJob with the job document, targets and configs the step asks
// for (parsed in create_job.cpp).
#include "scenario/steps/create_job_run.hpp"

#include "runner/src/run_context.hpp"

#include "scenario/job_document.hpp"

namespace fota::sim::runner::steps {

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

json create_job_request(const CreateJobStep& job, const Firmware& firmware,
                        const PublishedFirmware& published,
                        const std::vector<std::string>& things) {
    const json document = build_job_document(job, firmware, published);
    json targets = json::array();
    for (const std::string& thing : things) {
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
    return body;
}

bool run_create_job(RunContext& run, const CreateJobStep& job, const Step&) {
    const Firmware* firmware = run.scenario().find_firmware(job.firmware);
    const json body = create_job_request(job, *firmware, run.published().at(job.firmware),
                                         run.scenario().thing_names(job.targets));
    run.stack().call("create_job", {{"jobId", job.job_id}, {"body", body}});
    run.note_job(job.job_id);
    return true;
}

} // namespace fota::sim::runner::steps
