#pragma once
// In-memory model of things, jobs and job executions, and its JSON form in the KvStore.

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace fota::cloud::jobs_detail {

using nlohmann::json;

struct Thing {
    std::string name;
    std::int64_t created_at = 0;
    json attributes = json::object();
    std::int64_t version = 1;
};

struct Job {
    std::string job_id;
    std::string document; // as given to CreateJob (a JSON object in text form)
    std::string description;
    std::vector<std::string> targets;       // ARNs as given
    std::vector<std::string> target_things; // thing names resolved from targets
    std::string target_selection = "SNAPSHOT";
    std::string status = "IN_PROGRESS"; // IN_PROGRESS|CANCELED|COMPLETED
    bool force_canceled = false;
    std::string reason_code;
    std::string comment;
    std::int64_t created_at = 0;
    std::int64_t last_updated_at = 0;
    std::int64_t completed_at = 0;
    std::int64_t sequence = 0;
    json presigned_url_config; // null when absent
    json rollout_config;
    json abort_config;
    json timeout_config;
    json retry_config;
    // rollout progress
    std::vector<std::string> pending_rollout; // things not yet given an execution
    std::int64_t rollout_window_start = 0;
    std::int64_t rollout_in_window = 0;
    std::int64_t rollout_window_rate = 0; // set when the minute starts
    std::int64_t notified_things = 0;
};

struct Execution {
    std::string thing;
    std::string job_id;
    std::int64_t execution_number = 1;
    std::string status = "QUEUED";
    json status_details = json::object();
    std::int64_t queued_at = 0;
    std::int64_t started_at = 0; // 0 = never IN_PROGRESS
    std::int64_t last_updated_at = 0;
    std::int64_t version = 1;
    std::int64_t in_progress_deadline = 0; // 0 = no timer
    std::int64_t step_deadline = 0;        // 0 = no timer
    bool force_canceled = false;
    std::int64_t retry_attempt = 0;
    std::int64_t sequence = 0;
};

inline bool is_terminal(const std::string& status) {
    return status != "QUEUED" && status != "IN_PROGRESS";
}

inline void to_json(json& j, const Thing& t) {
    j = json{{"name", t.name},
             {"created_at", t.created_at},
             {"attributes", t.attributes},
             {"version", t.version}};
}
inline void from_json(const json& j, Thing& t) {
    t.name = j.at("name").get<std::string>();
    t.created_at = j.at("created_at").get<std::int64_t>();
    t.attributes = j.at("attributes");
    t.version = j.at("version").get<std::int64_t>();
}

inline void to_json(json& j, const Job& job) {
    j = json{{"job_id", job.job_id},
             {"document", job.document},
             {"description", job.description},
             {"targets", job.targets},
             {"target_things", job.target_things},
             {"target_selection", job.target_selection},
             {"status", job.status},
             {"force_canceled", job.force_canceled},
             {"reason_code", job.reason_code},
             {"comment", job.comment},
             {"created_at", job.created_at},
             {"last_updated_at", job.last_updated_at},
             {"completed_at", job.completed_at},
             {"sequence", job.sequence},
             {"presigned_url_config", job.presigned_url_config},
             {"rollout_config", job.rollout_config},
             {"abort_config", job.abort_config},
             {"timeout_config", job.timeout_config},
             {"retry_config", job.retry_config},
             {"pending_rollout", job.pending_rollout},
             {"rollout_window_start", job.rollout_window_start},
             {"rollout_in_window", job.rollout_in_window},
             {"rollout_window_rate", job.rollout_window_rate},
             {"notified_things", job.notified_things}};
}
inline void from_json(const json& j, Job& job) {
    job.job_id = j.at("job_id").get<std::string>();
    job.document = j.at("document").get<std::string>();
    job.description = j.at("description").get<std::string>();
    job.targets = j.at("targets").get<std::vector<std::string>>();
    job.target_things = j.at("target_things").get<std::vector<std::string>>();
    job.target_selection = j.at("target_selection").get<std::string>();
    job.status = j.at("status").get<std::string>();
    job.force_canceled = j.at("force_canceled").get<bool>();
    job.reason_code = j.at("reason_code").get<std::string>();
    job.comment = j.at("comment").get<std::string>();
    job.created_at = j.at("created_at").get<std::int64_t>();
    job.last_updated_at = j.at("last_updated_at").get<std::int64_t>();
    job.completed_at = j.at("completed_at").get<std::int64_t>();
    job.sequence = j.at("sequence").get<std::int64_t>();
    job.presigned_url_config = j.at("presigned_url_config");
    job.rollout_config = j.at("rollout_config");
    job.abort_config = j.at("abort_config");
    job.timeout_config = j.at("timeout_config");
    job.retry_config = j.at("retry_config");
    job.pending_rollout = j.at("pending_rollout").get<std::vector<std::string>>();
    job.rollout_window_start = j.at("rollout_window_start").get<std::int64_t>();
    job.rollout_in_window = j.at("rollout_in_window").get<std::int64_t>();
    job.rollout_window_rate = j.at("rollout_window_rate").get<std::int64_t>();
    job.notified_things = j.at("notified_things").get<std::int64_t>();
}

inline void to_json(json& j, const Execution& e) {
    j = json{{"thing", e.thing},
             {"job_id", e.job_id},
             {"execution_number", e.execution_number},
             {"status", e.status},
             {"status_details", e.status_details},
             {"queued_at", e.queued_at},
             {"started_at", e.started_at},
             {"last_updated_at", e.last_updated_at},
             {"version", e.version},
             {"in_progress_deadline", e.in_progress_deadline},
             {"step_deadline", e.step_deadline},
             {"force_canceled", e.force_canceled},
             {"retry_attempt", e.retry_attempt},
             {"sequence", e.sequence}};
}
inline void from_json(const json& j, Execution& e) {
    e.thing = j.at("thing").get<std::string>();
    e.job_id = j.at("job_id").get<std::string>();
    e.execution_number = j.at("execution_number").get<std::int64_t>();
    e.status = j.at("status").get<std::string>();
    e.status_details = j.at("status_details");
    e.queued_at = j.at("queued_at").get<std::int64_t>();
    e.started_at = j.at("started_at").get<std::int64_t>();
    e.last_updated_at = j.at("last_updated_at").get<std::int64_t>();
    e.version = j.at("version").get<std::int64_t>();
    e.in_progress_deadline = j.at("in_progress_deadline").get<std::int64_t>();
    e.step_deadline = j.at("step_deadline").get<std::int64_t>();
    e.force_canceled = j.at("force_canceled").get<bool>();
    e.retry_attempt = j.at("retry_attempt").get<std::int64_t>();
    e.sequence = j.at("sequence").get<std::int64_t>();
}

} // namespace fota::cloud::jobs_detail
