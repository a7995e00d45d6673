#pragma once
// JobsService's state and the operations on it, declared once for the files that implement them:
//   jobs_service.cpp       things, jobs (create/describe/cancel/delete/list), rollout, abort,
//                          completion, the job document
//   job_configs.cpp        the job configs (rollout, abort, retry, timeouts): checks and meaning
//   job_executions.cpp     executions: state machine, timers, retries, JSON, control-plane calls
//   jobs_device_api.cpp    the device MQTT API (get, start-next, describe, update)
//   jobs_notifications.cpp pending lists and the notify / notify-next they cause (spec §2.7)
//   jobs_persistence.cpp   the write-through to the KvStore
//   jobs_fields.cpp        request field readers, control-plane errors, paging

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "fota/cloud/jobs_service.hpp"
#include "jobs_model.hpp"

namespace fota::cloud {

namespace jobs_detail {

constexpr std::size_t max_pending_listed = 10;
constexpr std::int64_t max_step_minutes = 10080;
constexpr std::size_t max_client_token = 64;
constexpr std::size_t max_job_document = 32768;
constexpr int default_page_size = 50;

using PendingKey = std::pair<std::string, std::int64_t>;         // (jobId, executionNumber)
using Snapshot = std::map<std::string, std::vector<PendingKey>>; // thing -> pending keys

struct DeviceRequest;
struct UpdateRequest;
struct JobRequest;

// ---- field readers and results (jobs_fields.cpp) ------------------------------------------

/// A JSON integer that fits in int64, else nullopt.
std::optional<std::int64_t> as_integer(const json& value);
/// expectedVersion: a JSON number or a string of decimal digits (spec §2.3).
std::optional<std::int64_t> as_version(const json& value);
/// Why `details` is not a valid statusDetails map of at most `max_pairs` entries, or nullopt.
std::optional<std::string> check_status_details(const json& details, std::size_t max_pairs);
/// The thing (or group) name of an ARN; `kind` becomes "thing", "thinggroup", ... or empty.
std::string thing_name_from_arn(const std::string& arn, std::string& kind);
/// Page `query.next_token` (an offset) of `total` items: [begin, end) and the next token.
std::tuple<std::size_t, std::size_t, std::string> page_bounds(std::size_t total,
                                                              const ListQuery& query);

ControlResult invalid_request(const std::string& message);
ControlResult not_found(const std::string& message);
ControlResult invalid_transition(const std::string& message);

// ---- execution JSON (job_executions.cpp) --------------------------------------------------

/// The earliest of the execution's running timers, 0 when none runs.
std::int64_t next_deadline(const Execution& e);
/// JobExecutionSummary as the device API lists it.
json summary_json(const Execution& e);
/// executionState of an update reply or rejection.
json execution_state_json(const Execution& e);

// ---- job configs (job_configs.cpp) --------------------------------------------------------

/// Why the CreateJob body's configs (presignedUrl, timeout, rollout, abort, retry) are invalid,
/// or nullopt.
std::optional<std::string> check_job_configs(const json& body);
/// How many retries `retry_config` allows after an execution ended as `status`.
std::int64_t retries_allowed(const json& retry_config, const std::string& status);
/// The comment of the abort that `abort_config` calls for, given `executed` terminal
/// executions counted by status, or nullopt.
std::optional<std::string> abort_comment(const json& abort_config, std::int64_t executed,
                                         std::map<std::string, std::int64_t>& by_status);

} // namespace jobs_detail

struct JobsService::State {
    using Execution = jobs_detail::Execution;
    using Job = jobs_detail::Job;
    using Thing = jobs_detail::Thing;
    using PendingKey = jobs_detail::PendingKey;
    using Snapshot = jobs_detail::Snapshot;
    using json = nlohmann::json;

    KvStore& store;
    JobsOptions options;
    PresignedUrlSigner* signer = nullptr;
    std::map<std::string, Thing> things;
    std::map<std::string, Job> jobs;
    // thing -> job id -> executions in executionNumber order (back() is the latest)
    std::map<std::string, std::map<std::string, std::vector<Execution>>> executions;
    std::int64_t sequence = 0;
    std::map<std::string, std::string> reject_next_update;
    std::map<std::string, std::size_t> completion_cursor; // job id -> see check_completion()

    State(KvStore& kv, JobsOptions opts) : store(kv), options(std::move(opts)) {}

    // ---- persistence (jobs_persistence.cpp) ----------------------------------------------------
    void load();
    std::int64_t next_sequence();
    void save(const Thing& t);
    void save(const Job& j);
    void save(const Execution& e);
    void erase(const Execution& e);

    std::string thing_arn(const std::string& name) const;
    std::string job_arn(const std::string& id) const;

    // ---- lookups (job_executions.cpp) ----------------------------------------------------------
    Execution* latest(const std::string& thing, const std::string& job_id);
    Execution* find(const std::string& thing, const std::string& job_id,
                    std::optional<std::int64_t> number);

    // ---- pending lists and notifications (jobs_notifications.cpp) ------------------------------
    std::vector<Execution*> pending(const std::string& thing);
    std::vector<PendingKey> pending_keys(const std::string& thing);
    void snapshot_job(const std::string& job_id, Snapshot& before);
    void notify_all(const std::set<std::string>& touched, Snapshot& before, std::int64_t now,
                    Messages& out);
    void notify_changes(const std::string& thing, const std::vector<PendingKey>& before,
                        std::int64_t now, Messages& out);

    // ---- JSON (job_executions.cpp, jobs_service.cpp) -------------------------------------------
    json job_document(const Job& job, std::int64_t now) const;
    void substitute(json& node, std::int64_t expires, std::int64_t now) const;
    json execution_json(const Execution& e, bool with_document, std::int64_t now) const;
    json control_execution_json(const Execution& e, std::int64_t now) const;
    json control_summary_json(const Execution& e) const;
    json job_process_details(const Job& job) const;
    json job_json(const Job& job) const;

    // ---- execution state changes (job_executions.cpp) ------------------------------------------
    void start_timers(Execution& e, std::int64_t now);
    void set_step_timer(Execution& e, std::int64_t minutes, std::int64_t now);
    Execution& queue_execution(const std::string& thing, Job& job, std::int64_t number,
                               std::int64_t retry_attempt, std::int64_t now);
    void after_terminal(Execution& e, std::int64_t now, std::set<std::string>& touched);
    void cancel_job_executions(Job& job, bool force, std::int64_t now,
                               std::set<std::string>& touched);

    // ---- jobs (jobs_service.cpp) ---------------------------------------------------------------
    void check_completion(Job& job, std::int64_t now);
    void check_abort(Job& job, std::int64_t now, std::set<std::string>& touched);
    std::int64_t rollout_rate(const Job& job);
    void release_rollout(Job& job, std::int64_t now, std::set<std::string>& touched);
    std::optional<ControlResult> read_job_targets(const json& body,
                                                  jobs_detail::JobRequest& request) const;
    Messages add_job(const std::string& job_id, const json& body,
                     const jobs_detail::JobRequest& request, std::int64_t now);

    // ---- device MQTT API (jobs_device_api.cpp) -------------------------------------------------
    void get_pending(const jobs_detail::DeviceRequest& request);
    void start_next(const jobs_detail::DeviceRequest& request);
    void describe(const jobs_detail::DeviceRequest& request);
    void update(const jobs_detail::DeviceRequest& request);
    Execution* check_update(const jobs_detail::DeviceRequest& request,
                            const jobs_detail::UpdateRequest& update);
    void apply_update(const jobs_detail::DeviceRequest& request,
                      const jobs_detail::UpdateRequest& update, Execution& e);
};

} // namespace fota::cloud
