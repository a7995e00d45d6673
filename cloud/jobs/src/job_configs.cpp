// The job configs of CreateJob (presignedUrlConfig, timeoutConfig, jobExecutionsRolloutConfig,
// abortConfig, jobExecutionsRetryConfig): their checks, with AWS's limits, and what they mean for
// a running job (rollout rate, retries, abort; spec §4).

#include <algorithm>
#include <cmath>
#include <limits>
#include <tuple>

#include "jobs_state.hpp"

namespace fota::cloud {

using jobs_detail::Execution;
using jobs_detail::Job;
using nlohmann::json;

namespace jobs_detail {
namespace {

std::optional<std::string> check_int_field(const json& object, const char* name, std::int64_t low,
                                           std::int64_t high, bool required) {
    if (!object.contains(name)) {
        return required ? std::optional<std::string>(std::string(name) + " is required")
                        : std::nullopt;
    }
    auto value = as_integer(object[name]);
    if (!value || *value < low || *value > high) {
        return std::string(name) + " must be an integer from " + std::to_string(low) + " to " +
               std::to_string(high);
    }
    return std::nullopt;
}

// `body[name]`, when present, must be an object whose integer `field`, when present, is in
// [low, high].
std::optional<std::string> check_config_field(const json& body, const char* name, const char* field,
                                              std::int64_t low, std::int64_t high) {
    if (!body.contains(name)) {
        return std::nullopt;
    }
    const json& config = body[name];
    if (!config.is_object()) {
        return std::string(name) + " must be an object";
    }
    if (auto e = check_int_field(config, field, low, high, false)) {
        return std::string(name) + "." + *e;
    }
    return std::nullopt;
}

std::optional<std::string> check_exponential_rate(const json& x) {
    if (!x.is_object()) {
        return "exponentialRate must be an object";
    }
    if (auto e = check_int_field(x, "baseRatePerMinute", 1, 1000, true)) {
        return "exponentialRate." + *e;
    }
    if (!x.contains("incrementFactor") || !x["incrementFactor"].is_number() ||
        x["incrementFactor"].get<double>() < 1.1 || x["incrementFactor"].get<double>() > 5.0) {
        return "exponentialRate.incrementFactor must be a number from 1.1 to 5";
    }
    if (!x.contains("rateIncreaseCriteria") || !x["rateIncreaseCriteria"].is_object()) {
        return "exponentialRate.rateIncreaseCriteria is required";
    }
    const json& r = x["rateIncreaseCriteria"];
    const bool notified = r.contains("numberOfNotifiedThings");
    const bool succeeded = r.contains("numberOfSucceededThings");
    if (notified == succeeded) {
        return "rateIncreaseCriteria needs exactly one of numberOfNotifiedThings, "
               "numberOfSucceededThings";
    }
    if (auto e = check_int_field(r, notified ? "numberOfNotifiedThings" : "numberOfSucceededThings",
                                 1, std::numeric_limits<std::int32_t>::max(), true)) {
        return "rateIncreaseCriteria." + *e;
    }
    return std::nullopt;
}

std::string failure_type(const json& criterion) {
    return criterion.contains("failureType") && criterion["failureType"].is_string()
               ? criterion["failureType"].get<std::string>()
               : "";
}

std::optional<std::string> check_abort_config(const json& c) {
    if (!c.is_object() || !c.contains("criteriaList") || !c["criteriaList"].is_array() ||
        c["criteriaList"].empty()) {
        return "abortConfig.criteriaList must be a non-empty list";
    }
    for (const json& item : c["criteriaList"]) {
        if (!item.is_object()) {
            return "abortConfig.criteriaList entries must be objects";
        }
        const std::string type = failure_type(item);
        if (type != "FAILED" && type != "REJECTED" && type != "TIMED_OUT" && type != "ALL") {
            return "abortConfig failureType must be FAILED, REJECTED, TIMED_OUT or ALL";
        }
        if (!item.contains("action") || item["action"] != "CANCEL") {
            return "abortConfig action must be CANCEL";
        }
        if (!item.contains("thresholdPercentage") || !item["thresholdPercentage"].is_number() ||
            item["thresholdPercentage"].get<double>() < 0 ||
            item["thresholdPercentage"].get<double>() > 100) {
            return "abortConfig thresholdPercentage must be a number from 0 to 100";
        }
        if (auto e = check_int_field(item, "minNumberOfExecutedThings", 1,
                                     std::numeric_limits<std::int32_t>::max(), true)) {
            return "abortConfig." + *e;
        }
    }
    return std::nullopt;
}

std::optional<std::string> check_retry_config(const json& c) {
    if (!c.is_object() || !c.contains("criteriaList") || !c["criteriaList"].is_array() ||
        c["criteriaList"].empty() || c["criteriaList"].size() > 2) {
        return "jobExecutionsRetryConfig.criteriaList must have 1 or 2 entries";
    }
    for (const json& item : c["criteriaList"]) {
        if (!item.is_object()) {
            return "jobExecutionsRetryConfig.criteriaList entries must be objects";
        }
        const std::string type = failure_type(item);
        if (type != "FAILED" && type != "TIMED_OUT" && type != "ALL") {
            return "jobExecutionsRetryConfig failureType must be FAILED, TIMED_OUT or ALL";
        }
        if (auto e = check_int_field(item, "numberOfRetries", 0, 10, true)) {
            return "jobExecutionsRetryConfig." + *e;
        }
    }
    return std::nullopt;
}

} // namespace

std::optional<std::string> check_job_configs(const json& body) {
    // Configs that are an object with one optional integer field (the rollout has more below).
    const std::tuple<const char*, const char*, std::int64_t, std::int64_t> simple[] = {
        {"presignedUrlConfig", "expiresInSec", 60, 3600},
        {"timeoutConfig", "inProgressTimeoutInMinutes", 1, 10080},
        {"jobExecutionsRolloutConfig", "maximumPerMinute", 1, 1000}};
    for (const auto& [name, field, low, high] : simple) {
        if (auto problem = check_config_field(body, name, field, low, high)) {
            return problem;
        }
    }
    if (body.contains("jobExecutionsRolloutConfig") &&
        body["jobExecutionsRolloutConfig"].contains("exponentialRate")) {
        if (auto problem =
                check_exponential_rate(body["jobExecutionsRolloutConfig"]["exponentialRate"])) {
            return problem;
        }
    }
    if (body.contains("abortConfig")) {
        if (auto problem = check_abort_config(body["abortConfig"])) {
            return problem;
        }
    }
    if (body.contains("jobExecutionsRetryConfig")) {
        if (auto problem = check_retry_config(body["jobExecutionsRetryConfig"])) {
            return problem;
        }
    }
    return std::nullopt;
}

std::int64_t retries_allowed(const json& retry_config, const std::string& status) {
    std::int64_t allowed = 0;
    for (const auto& criterion : retry_config.value("criteriaList", json::array())) {
        const std::string type = criterion.value("failureType", "");
        if (type == status || type == "ALL") {
            allowed =
                std::max(allowed, criterion.value("numberOfRetries", static_cast<std::int64_t>(0)));
        }
    }
    return allowed;
}

std::optional<std::string> abort_comment(const json& abort_config, std::int64_t executed,
                                         std::map<std::string, std::int64_t>& by_status) {
    for (const auto& criterion : abort_config.value("criteriaList", json::array())) {
        const std::string type = criterion.value("failureType", "");
        const std::int64_t failures =
            type == "ALL" ? by_status["FAILED"] + by_status["REJECTED"] + by_status["TIMED_OUT"]
                          : by_status[type];
        const auto min_executed =
            criterion.value("minNumberOfExecutedThings", static_cast<std::int64_t>(1));
        const double threshold = criterion.value("thresholdPercentage", 100.0);
        if (executed >= min_executed && executed > 0 &&
            100.0 * static_cast<double>(failures) / static_cast<double>(executed) >= threshold) {
            return "Job aborted: " + type + " executions reached " + std::to_string(threshold) +
                   "%";
        }
    }
    return std::nullopt;
}

} // namespace jobs_detail

// ---- rollout (spec §4.2) ----------------------------------------------------------------------

std::int64_t JobsService::State::rollout_rate(const Job& job) {
    std::int64_t rate = std::numeric_limits<std::int64_t>::max();
    if (!job.rollout_config.is_object()) {
        return rate;
    }
    if (job.rollout_config.contains("maximumPerMinute")) {
        rate = job.rollout_config["maximumPerMinute"].get<std::int64_t>();
    }
    if (job.rollout_config.contains("exponentialRate")) {
        const json& exp = job.rollout_config["exponentialRate"];
        const auto base = exp["baseRatePerMinute"].get<std::int64_t>();
        const double factor = exp["incrementFactor"].get<double>();
        const json& criteria = exp["rateIncreaseCriteria"];
        std::int64_t count = 0;
        std::int64_t step = 1;
        if (criteria.contains("numberOfNotifiedThings")) {
            step = criteria["numberOfNotifiedThings"].get<std::int64_t>();
            count = job.notified_things;
        } else if (criteria.contains("numberOfSucceededThings")) {
            step = criteria["numberOfSucceededThings"].get<std::int64_t>();
            for (const auto& thing : job.target_things) {
                const Execution* e = latest(thing, job.job_id);
                if (e != nullptr && e->status == "SUCCEEDED") {
                    ++count;
                }
            }
        }
        const double steps = static_cast<double>(count / std::max<std::int64_t>(step, 1));
        const double exponential =
            std::min(1000.0, static_cast<double>(base) * std::pow(factor, steps));
        rate = std::min(rate, static_cast<std::int64_t>(exponential));
    }
    return std::max<std::int64_t>(rate, 1);
}

} // namespace fota::cloud
