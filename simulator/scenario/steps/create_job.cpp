// Step create_job: a job (CreateJob) for a firmware image with its document, targets, rollout,
// abort, timeout, retry and presigned URL configuration.
#include "scenario/job_document.hpp"
#include "scenario/parse_context.hpp"
#include "scenario/units.hpp"

#include <cmath>

namespace fota::sim::steps {
namespace {

constexpr std::size_t kMaxJobDocumentChars = 32'768; // AWS IoT's limit

// An explicit job document: a JSON object within AWS's size, with known placeholders only.
bool document(ParseContext& context, const YAML::Node& node, const std::string& here,
              CreateJobStep& job) {
    auto& r = context.reader();
    bool ok = true;
    auto document = r.json(node, "'document' in " + here);
    if (!document || !document->is_object()) {
        if (document) {
            r.error(node, "'document' in " + here + " must be a map (a JSON object)");
        }
        ok = false;
    } else {
        const auto text = document->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        if (text.size() > kMaxJobDocumentChars) {
            r.error(node, "'document' in " + here + " is " + std::to_string(text.size()) +
                              " characters as JSON; AWS IoT allows at most " +
                              std::to_string(kMaxJobDocumentChars));
            ok = false;
        }
        for (const auto& name : unknown_firmware_placeholders(*document)) {
            std::string message = "'document' in " + here;
            if (name.empty()) {
                message += " has an unterminated '${firmware.'";
            } else {
                message += " uses the unknown placeholder '${firmware.";
                message += name.substr(0, 40);
                message += "}'";
            }
            message += "; placeholders: ";
            bool first = true;
            for (auto known : firmware_placeholder_names()) {
                message += first ? "${firmware." : ", ${firmware.";
                message += known;
                message += "}";
                first = false;
            }
            r.error(node, std::move(message));
            ok = false;
        }
        job.document = std::move(*document);
    }
    return ok;
}

bool rollout(ParseContext& context, const YAML::Node& node, const std::string& here,
             CreateJobStep& job) {
    auto& r = context.reader();
    const std::string what = "'rollout' in " + here;
    if (!r.expect_map(node, what, {"maximum_per_minute", "exponential_rate"})) {
        return false;
    }
    RolloutConfig config;
    bool ok = true;
    if (node["maximum_per_minute"].IsDefined()) {
        auto value =
            r.integer(node["maximum_per_minute"], "'maximum_per_minute' in " + what, 1, 1000);
        ok = value.has_value();
        if (value) {
            config.maximum_per_minute = static_cast<std::uint32_t>(*value);
        }
    }
    if (const auto& rate = node["exponential_rate"]; rate.IsDefined()) {
        const std::string rate_what = "'exponential_rate' in " + what;
        if (!r.expect_map(rate, rate_what,
                          {"base_rate_per_minute", "increment_factor", "rate_increase_criteria"},
                          {"base_rate_per_minute", "increment_factor", "rate_increase_criteria"})) {
            return false;
        }
        RolloutConfig::ExponentialRate exponential;
        if (auto base = r.integer(rate["base_rate_per_minute"],
                                  "'base_rate_per_minute' in " + rate_what, 1, 1000)) {
            exponential.base_rate_per_minute = static_cast<std::uint32_t>(*base);
        } else {
            ok = false;
        }
        if (auto factor =
                r.number(rate["increment_factor"], "'increment_factor' in " + rate_what, 1.1, 5)) {
            if (std::abs(*factor * 10 - std::round(*factor * 10)) > 1e-9) {
                r.error(rate["increment_factor"], "'increment_factor' in " + rate_what +
                                                      " has at most one decimal (AWS); got " +
                                                      rate["increment_factor"].Scalar());
                ok = false;
            }
            exponential.increment_factor = *factor;
        } else {
            ok = false;
        }
        const auto& criteria = rate["rate_increase_criteria"];
        const std::string criteria_what = "'rate_increase_criteria' in " + rate_what;
        if (r.expect_map(criteria, criteria_what,
                         {"number_of_notified_things", "number_of_succeeded_things"})) {
            const bool notified = criteria["number_of_notified_things"].IsDefined();
            const bool succeeded = criteria["number_of_succeeded_things"].IsDefined();
            if (notified == succeeded) {
                r.error(criteria, criteria_what + " needs exactly one of "
                                                  "number_of_notified_things, "
                                                  "number_of_succeeded_things");
                ok = false;
            } else {
                const char* key =
                    notified ? "number_of_notified_things" : "number_of_succeeded_things";
                auto value = r.integer(
                    criteria[key], std::string("'") + key + "' in " + criteria_what, 1, 1'000'000);
                if (!value) {
                    ok = false;
                } else if (notified) {
                    exponential.number_of_notified_things = static_cast<std::uint32_t>(*value);
                } else {
                    exponential.number_of_succeeded_things = static_cast<std::uint32_t>(*value);
                }
            }
        } else {
            ok = false;
        }
        config.exponential_rate = exponential;
    }
    if (config.maximum_per_minute && config.exponential_rate) {
        r.error(node, what + " takes 'maximum_per_minute' or 'exponential_rate', not both");
        ok = false;
    }
    if (!config.maximum_per_minute && !config.exponential_rate && ok) {
        r.error(node, what + " needs 'maximum_per_minute' or 'exponential_rate'");
        ok = false;
    }
    job.rollout = config;
    return ok;
}

bool abort_config(ParseContext& context, const YAML::Node& node, const std::string& here,
                  CreateJobStep& job) {
    auto& r = context.reader();
    const std::string what = "'abort' in " + here;
    if (!node.IsSequence() || node.size() == 0) {
        r.error(node, what +
                          " must be a non-empty list of criteria {failure_type, "
                          "threshold_percentage, min_number_of_executed_things}; got " +
                          detail::describe_node(node));
        return false;
    }
    bool ok = true;
    for (const auto& item : node) {
        const std::string item_what = "an abort criterion in " + here;
        if (!r.expect_map(
                item, item_what,
                {"failure_type", "threshold_percentage", "min_number_of_executed_things"},
                {"failure_type", "threshold_percentage", "min_number_of_executed_things"})) {
            ok = false;
            continue;
        }
        AbortCriterion criterion;
        static const Keys types{"FAILED", "REJECTED", "TIMED_OUT", "ALL"};
        if (auto type = r.choice(item["failure_type"], "'failure_type' in " + item_what, types)) {
            criterion.failure_type = enum_at<FailureType>(types, *type);
        } else {
            ok = false;
        }
        if (auto value = r.number(item["threshold_percentage"],
                                  "'threshold_percentage' in " + item_what, 0.01, 100)) {
            criterion.threshold_percentage = *value;
        } else {
            ok = false;
        }
        if (auto value =
                r.integer(item["min_number_of_executed_things"],
                          "'min_number_of_executed_things' in " + item_what, 1, 1'000'000)) {
            criterion.min_number_of_executed_things = static_cast<std::uint32_t>(*value);
        } else {
            ok = false;
        }
        job.abort.push_back(criterion);
    }
    return ok;
}

// timeout: {in_progress: ...}, whole minutes as AWS's inProgressTimeoutInMinutes.
bool in_progress_timeout(ParseContext& context, const YAML::Node& node, const std::string& here,
                         CreateJobStep& job) {
    auto& r = context.reader();
    bool ok = true;
    const std::string what = "'timeout' in " + here;
    if (r.expect_map(node, what, {"in_progress"}, {"in_progress"}) &&
        node["in_progress"].IsDefined()) {
        auto value = r.duration(node["in_progress"], "'in_progress' in " + what,
                                std::chrono::minutes(1), std::chrono::minutes(10080));
        if (value && value->count() % 60'000 != 0) {
            r.error(node["in_progress"], "'in_progress' in " + what +
                                             " must be whole minutes (AWS's "
                                             "inProgressTimeoutInMinutes); got " +
                                             format_duration(*value));
            value.reset();
        }
        if (value) {
            job.in_progress_timeout_minutes = static_cast<std::uint32_t>(value->count() / 60'000);
        } else {
            ok = false;
        }
    } else {
        ok = false;
    }
    return ok;
}

bool retry_config(ParseContext& context, const YAML::Node& node, const std::string& here,
                  CreateJobStep& job) {
    auto& r = context.reader();
    const std::string what = "'retry' in " + here;
    if (!node.IsSequence() || node.size() == 0 || node.size() > 2) {
        r.error(node, what +
                          " must be a list of 1 or 2 criteria {failure_type, "
                          "number_of_retries}; got " +
                          detail::describe_node(node));
        return false;
    }
    bool ok = true;
    std::uint64_t total = 0;
    for (const auto& item : node) {
        const std::string item_what = "a retry criterion in " + here;
        if (!r.expect_map(item, item_what, {"failure_type", "number_of_retries"},
                          {"failure_type", "number_of_retries"})) {
            ok = false;
            continue;
        }
        RetryCriterion criterion;
        static const Keys types{"FAILED", "TIMED_OUT", "ALL"};
        if (auto type = r.choice(item["failure_type"], "'failure_type' in " + item_what, types)) {
            criterion.failure_type = *type == "FAILED"      ? FailureType::failed
                                     : *type == "TIMED_OUT" ? FailureType::timed_out
                                                            : FailureType::all;
        } else {
            ok = false;
        }
        if (auto value = r.integer(item["number_of_retries"], "'number_of_retries' in " + item_what,
                                   0, 10)) {
            criterion.number_of_retries = static_cast<std::uint32_t>(*value);
            total += *value;
        } else {
            ok = false;
        }
        job.retry.push_back(criterion);
    }
    if (ok && total > 10) {
        r.error(node, what + " allows " + std::to_string(total) +
                          " retries in all; AWS allows at most 10 per device");
        ok = false;
    }
    return ok;
}

// presigned_url: {expires_in: ...}, whole seconds as AWS's presignedUrlConfig.expiresInSec.
bool presigned_url(ParseContext& context, const YAML::Node& node, const std::string& here,
                   CreateJobStep& job) {
    auto& r = context.reader();
    bool ok = true;
    const std::string what = "'presigned_url' in " + here;
    if (r.expect_map(node, what, {"expires_in"}, {"expires_in"}) &&
        node["expires_in"].IsDefined()) {
        auto value = r.duration(node["expires_in"], "'expires_in' in " + what,
                                std::chrono::seconds(60), std::chrono::seconds(3600));
        if (value && value->count() % 1000 != 0) {
            r.error(node["expires_in"], "'expires_in' in " + what + " must be whole seconds; got " +
                                            format_duration(*value));
            value.reset();
        }
        if (value) {
            job.presigned_url_expiry = std::chrono::duration_cast<std::chrono::seconds>(*value);
        } else {
            ok = false;
        }
    } else {
        ok = false;
    }
    return ok;
}

// 'document' (explicit), or 'document_template' with 'protocol'.
bool document_or_template(ParseContext& context, const YAML::Node& body, const std::string& here,
                          CreateJobStep& job) {
    auto& r = context.reader();
    bool ok = true;
    const bool has_document = body["document"].IsDefined();
    if (has_document && body["document_template"].IsDefined()) {
        r.error(body["document"], here + " takes 'document' or 'document_template', not both");
        ok = false;
    }
    if (has_document) {
        ok = document(context, body["document"], here, job) && ok;
        if (body["protocol"].IsDefined()) {
            r.error(body["protocol"], "'protocol' in " + here +
                                          " applies to 'document_template' only; write it in "
                                          "the document");
            ok = false;
        }
    }
    if (body["document_template"].IsDefined()) {
        static const Keys templates{"host_path", "url", "presigned_url"};
        if (auto name =
                r.choice(body["document_template"], "'document_template' in " + here, templates)) {
            job.document_template = enum_at<DocumentTemplate>(templates, *name);
        } else {
            ok = false;
        }
    }
    if (body["protocol"].IsDefined() && !has_document) {
        if (auto value = r.choice(body["protocol"], "'protocol' in " + here, {"http", "https"})) {
            job.protocol = *value;
        } else {
            ok = false;
        }
    }
    return ok;
}

} // namespace

std::optional<CreateJobStep> parse_create_job(ParseContext& context, const YAML::Node& body,
                                              const std::string& here) {
    auto& r = context.reader();
    if (!r.expect_map(body, here,
                      {"id", "firmware", "targets", "document", "document_template", "protocol",
                       "description", "target_selection", "rollout", "abort", "timeout", "retry",
                       "presigned_url"},
                      {"id", "firmware"})) {
        return std::nullopt;
    }
    CreateJobStep job;
    bool ok = true;
    if (auto id = r.string(body["id"], "'id' in " + here)) {
        if (!is_identifier(*id, 64)) {
            r.error(body["id"], "'id' in " + here +
                                    " must be an AWS job id: 1 to 64 letters, digits, '-' or "
                                    "'_'; got " +
                                    quote(*id));
            ok = false;
        } else if (context.job_created(*id)) {
            r.error(body["id"], "job " + quote(*id) + " is created twice; job ids are unique");
            ok = false;
        }
        job.job_id = *id;
    } else {
        ok = false;
    }
    if (auto firmware = context.firmware_ref(body["firmware"], "'firmware' in " + here)) {
        job.firmware = *firmware;
    } else {
        ok = false;
    }
    if (body["targets"].IsDefined()) {
        if (auto targets = context.selector(body["targets"], "'targets' in " + here)) {
            job.targets = *targets;
        } else {
            ok = false;
        }
    }
    ok = document_or_template(context, body, here, job) && ok;
    if (body["description"].IsDefined()) {
        if (auto text = r.string(body["description"], "'description' in " + here)) {
            job.description = *text;
        } else {
            ok = false;
        }
    }
    if (body["target_selection"].IsDefined()) {
        if (auto value = r.choice(body["target_selection"], "'target_selection' in " + here,
                                  {"SNAPSHOT", "CONTINUOUS"})) {
            job.continuous = *value == "CONTINUOUS";
        } else {
            ok = false;
        }
    }
    if (body["rollout"].IsDefined()) {
        ok = rollout(context, body["rollout"], here, job) && ok;
    }
    if (body["abort"].IsDefined()) {
        ok = abort_config(context, body["abort"], here, job) && ok;
    }
    if (body["timeout"].IsDefined()) {
        ok = in_progress_timeout(context, body["timeout"], here, job) && ok;
    }
    if (body["retry"].IsDefined()) {
        ok = retry_config(context, body["retry"], here, job) && ok;
    }
    if (body["presigned_url"].IsDefined()) {
        ok = presigned_url(context, body["presigned_url"], here, job) && ok;
    }
    const bool placeholder =
        (job.document &&
         job.document->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                 .find("${aws:iot:s3-presigned-url:") != std::string::npos) ||
        (!job.document && job.document_template == DocumentTemplate::presigned_url);
    if (placeholder && !job.presigned_url_expiry) {
        job.presigned_url_expiry = std::chrono::seconds(3600); // AWS's default expiresInSec
    }
    if (is_identifier(job.job_id, 64) && !context.job_created(job.job_id)) {
        context.add_job(job.job_id); // later steps may refer to it even if this one is wrong
    }
    if (!ok) {
        return std::nullopt;
    }
    return job;
}

} // namespace fota::sim::steps
