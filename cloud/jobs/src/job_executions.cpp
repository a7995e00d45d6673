// Job executions: their state machine (QUEUED -> IN_PROGRESS -> a terminal status, each change a
// new versionNumber), timers (in-progress and step timeouts), retries, their JSON forms, and the
// control-plane calls on them (describe, list, cancel, delete).

#include <algorithm>
#include <string>

#include "jobs_state.hpp"

namespace fota::cloud {

using jobs_detail::as_version;
using jobs_detail::check_status_details;
using jobs_detail::Execution;
using jobs_detail::invalid_request;
using jobs_detail::invalid_transition;
using jobs_detail::is_terminal;
using jobs_detail::Job;
using jobs_detail::next_deadline;
using jobs_detail::not_found;
using jobs_detail::page_bounds;
using jobs_detail::PendingKey;
using jobs_detail::retries_allowed;
using nlohmann::json;

namespace jobs_detail {

json summary_json(const Execution& e) {
    json summary{{"jobId", e.job_id},
                 {"queuedAt", e.queued_at},
                 {"lastUpdatedAt", e.last_updated_at},
                 {"versionNumber", e.version},
                 {"executionNumber", e.execution_number}};
    if (e.started_at != 0) {
        summary["startedAt"] = e.started_at;
    }
    return summary;
}

std::int64_t next_deadline(const Execution& e) {
    std::int64_t deadline = 0;
    for (std::int64_t d : {e.in_progress_deadline, e.step_deadline}) {
        if (d != 0 && (deadline == 0 || d < deadline)) {
            deadline = d;
        }
    }
    return deadline;
}

json execution_state_json(const Execution& e) {
    json state{{"status", e.status}, {"versionNumber", e.version}};
    if (!e.status_details.empty()) {
        state["statusDetails"] = e.status_details;
    }
    return state;
}

} // namespace jobs_detail

// ---- lookups ---------------------------------------------------------------------------------

Execution* JobsService::State::latest(const std::string& thing, const std::string& job_id) {
    auto t = executions.find(thing);
    if (t == executions.end()) {
        return nullptr;
    }
    auto j = t->second.find(job_id);
    if (j == t->second.end() || j->second.empty()) {
        return nullptr;
    }
    return &j->second.back();
}

Execution* JobsService::State::find(const std::string& thing, const std::string& job_id,
                                    std::optional<std::int64_t> number) {
    if (!number) {
        return latest(thing, job_id);
    }
    auto t = executions.find(thing);
    if (t == executions.end()) {
        return nullptr;
    }
    auto j = t->second.find(job_id);
    if (j == t->second.end()) {
        return nullptr;
    }
    for (auto& e : j->second) {
        if (e.execution_number == *number) {
            return &e;
        }
    }
    return nullptr;
}

// ---- JSON of executions ----------------------------------------------------------------------

json JobsService::State::execution_json(const Execution& e, bool with_document,
                                        std::int64_t now) const {
    json out{{"jobId", e.job_id},          {"status", e.status},
             {"queuedAt", e.queued_at},    {"lastUpdatedAt", e.last_updated_at},
             {"versionNumber", e.version}, {"executionNumber", e.execution_number}};
    if (!e.status_details.empty()) {
        out["statusDetails"] = e.status_details;
    }
    if (e.started_at != 0) {
        out["startedAt"] = e.started_at;
    }
    const std::int64_t deadline = next_deadline(e);
    if (!is_terminal(e.status) && deadline != 0) {
        out["approximateSecondsBeforeTimedOut"] = std::max<std::int64_t>(0, deadline - now);
    }
    if (with_document) {
        auto job = jobs.find(e.job_id);
        out["jobDocument"] = job != jobs.end() ? job_document(job->second, now) : json::object();
    }
    return out;
}

json JobsService::State::control_execution_json(const Execution& e, std::int64_t now) const {
    json out{{"jobId", e.job_id},
             {"status", e.status},
             {"forceCanceled", e.force_canceled},
             {"thingArn", thing_arn(e.thing)},
             {"statusDetails", {{"detailsMap", e.status_details}}},
             {"queuedAt", e.queued_at},
             {"lastUpdatedAt", e.last_updated_at},
             {"executionNumber", e.execution_number},
             {"versionNumber", e.version}};
    if (e.started_at != 0) {
        out["startedAt"] = e.started_at;
    }
    const std::int64_t deadline = next_deadline(e);
    if (!is_terminal(e.status) && deadline != 0) {
        out["approximateSecondsBeforeTimedOut"] = std::max<std::int64_t>(0, deadline - now);
    }
    return out;
}

json JobsService::State::control_summary_json(const Execution& e) const {
    json out{{"status", e.status},
             {"queuedAt", e.queued_at},
             {"lastUpdatedAt", e.last_updated_at},
             {"executionNumber", e.execution_number},
             {"retryAttempt", e.retry_attempt}};
    if (e.started_at != 0) {
        out["startedAt"] = e.started_at;
    }
    return out;
}

// ---- state changes ---------------------------------------------------------------------------

void JobsService::State::start_timers(Execution& e, std::int64_t now) {
    auto job = jobs.find(e.job_id);
    if (job != jobs.end() && job->second.timeout_config.is_object() &&
        job->second.timeout_config.contains("inProgressTimeoutInMinutes")) {
        e.in_progress_deadline =
            now + 60 * job->second.timeout_config["inProgressTimeoutInMinutes"].get<std::int64_t>();
    }
}

void JobsService::State::set_step_timer(Execution& e, std::int64_t minutes, std::int64_t now) {
    if (minutes < 0) {
        e.step_deadline = 0;
        return;
    }
    e.step_deadline = now + minutes * 60;
    if (e.in_progress_deadline != 0 && e.step_deadline > e.in_progress_deadline) {
        e.step_deadline = e.in_progress_deadline;
    }
}

Execution& JobsService::State::queue_execution(const std::string& thing, Job& job,
                                               std::int64_t number, std::int64_t retry_attempt,
                                               std::int64_t now) {
    Execution e;
    e.thing = thing;
    e.job_id = job.job_id;
    e.execution_number = number;
    e.queued_at = now;
    e.last_updated_at = now;
    e.retry_attempt = retry_attempt;
    e.sequence = next_sequence();
    auto& list = executions[thing][job.job_id];
    list.push_back(e);
    completion_cursor[job.job_id] = 0;
    save(list.back());
    return list.back();
}

// Called after an execution became terminal: retries, then abort and completion checks.
void JobsService::State::after_terminal(Execution& e, std::int64_t now,
                                        std::set<std::string>& touched) {
    e.in_progress_deadline = 0;
    e.step_deadline = 0;
    auto job_it = jobs.find(e.job_id);
    if (job_it == jobs.end()) {
        return;
    }
    Job& job = job_it->second;
    if ((e.status == "FAILED" || e.status == "TIMED_OUT") && job.status == "IN_PROGRESS" &&
        job.retry_config.is_object()) {
        const std::int64_t allowed = retries_allowed(job.retry_config, e.status);
        if (e.retry_attempt < std::min<std::int64_t>(allowed, 10)) {
            const std::string thing = e.thing;
            const std::int64_t number = e.execution_number + 1;
            const std::int64_t attempt = e.retry_attempt + 1;
            queue_execution(thing, job, number, attempt, now); // invalidates `e`
            touched.insert(thing);
            return;
        }
    }
    check_abort(job, now, touched);
    check_completion(job, now);
}

void JobsService::State::cancel_job_executions(Job& job, bool force, std::int64_t now,
                                               std::set<std::string>& touched) {
    job.pending_rollout.clear();
    for (const auto& thing : job.target_things) {
        Execution* e = latest(thing, job.job_id);
        if (e == nullptr || is_terminal(e->status)) {
            continue;
        }
        if (e->status == "IN_PROGRESS" && !force) {
            continue;
        }
        e->status = "CANCELED";
        e->force_canceled = force && e->started_at != 0;
        e->version += 1;
        e->last_updated_at = now;
        e->in_progress_deadline = 0;
        e->step_deadline = 0;
        save(*e);
        touched.insert(thing);
    }
}

// ---- timers and rollout windows (tick) ------------------------------------------------------

Messages JobsService::tick(std::int64_t now) {
    State& s = *state_;
    Messages out;
    // Snapshot every thing's pending list first so notifications compare against it.
    std::map<std::string, std::vector<PendingKey>> before;
    auto remember = [&](const std::string& thing) {
        if (before.find(thing) == before.end()) {
            before[thing] = s.pending_keys(thing);
        }
    };
    std::vector<std::pair<std::string, std::string>> expired;
    for (auto& [thing, by_job] : s.executions) {
        for (auto& [job_id, list] : by_job) {
            if (list.empty() || list.back().status != "IN_PROGRESS") {
                continue;
            }
            const std::int64_t deadline = next_deadline(list.back());
            if (deadline != 0 && deadline <= now) {
                expired.emplace_back(thing, job_id);
            }
        }
    }
    bool rollout_due = false;
    for (const auto& [id, job] : s.jobs) {
        if (job.status == "IN_PROGRESS" && !job.pending_rollout.empty() &&
            now >= job.rollout_window_start + 60) {
            rollout_due = true;
        }
    }
    if (expired.empty() && !rollout_due) {
        return out;
    }
    KvTransaction transaction(s.store);
    std::set<std::string> touched;
    for (const auto& [thing, job_id] : expired) {
        remember(thing);
        State::Snapshot job_before;
        s.snapshot_job(job_id, job_before);
        for (auto& [other, keys] : job_before) {
            if (before.find(other) == before.end()) {
                before[other] = std::move(keys);
            }
        }
    }
    for (const auto& [thing, job_id] : expired) {
        Execution* e = s.latest(thing, job_id);
        e->status = "TIMED_OUT";
        e->version += 1;
        e->last_updated_at = now;
        s.save(*e);
        touched.insert(thing);
        s.after_terminal(*e, now, touched);
    }
    for (auto& [id, job] : s.jobs) {
        for (const auto& thing : job.pending_rollout) {
            remember(thing);
        }
        s.release_rollout(job, now, touched);
    }
    for (const auto& thing : touched) {
        remember(thing);
        s.notify_changes(thing, before[thing], now, out);
    }
    return out;
}

// ---- control plane: executions ---------------------------------------------------------------

ControlResult JobsService::describe_job_execution(const std::string& thing_name,
                                                  const std::string& job_id,
                                                  std::optional<std::int64_t> execution_number,
                                                  std::int64_t now) const {
    State& s = *state_;
    const Execution* e = s.find(thing_name, job_id, execution_number);
    if (e == nullptr) {
        return not_found("Job execution " + job_id + " of thing " + thing_name +
                         " cannot be found");
    }
    return ControlResult::success(json{{"execution", s.control_execution_json(*e, now)}});
}

ControlResult JobsService::list_job_executions_for_job(const std::string& job_id,
                                                       const ListQuery& query) const {
    const State& s = *state_;
    auto job = s.jobs.find(job_id);
    if (job == s.jobs.end()) {
        return not_found("Job " + job_id + " cannot be found");
    }
    std::vector<const Execution*> all;
    for (const auto& thing : job->second.target_things) {
        auto t = s.executions.find(thing);
        if (t == s.executions.end()) {
            continue;
        }
        auto j = t->second.find(job_id);
        if (j != t->second.end() && !j->second.empty() &&
            (!query.status || j->second.back().status == *query.status)) {
            all.push_back(&j->second.back());
        }
    }
    const auto [begin, end, token] = page_bounds(all.size(), query);
    json summaries = json::array();
    for (std::size_t i = begin; i < end; ++i) {
        summaries.push_back({{"thingArn", s.thing_arn(all[i]->thing)},
                             {"jobExecutionSummary", s.control_summary_json(*all[i])}});
    }
    json body{{"executionSummaries", summaries}};
    if (!token.empty()) {
        body["nextToken"] = token;
    }
    return ControlResult::success(body);
}

ControlResult JobsService::list_job_executions_for_thing(const std::string& thing_name,
                                                         const ListQuery& query) const {
    const State& s = *state_;
    std::vector<const Execution*> all;
    auto t = s.executions.find(thing_name);
    if (t != s.executions.end()) {
        for (const auto& [job_id, list] : t->second) {
            if (list.empty() || (query.job_id && job_id != *query.job_id)) {
                continue;
            }
            if (!query.status || list.back().status == *query.status) {
                all.push_back(&list.back());
            }
        }
    }
    std::sort(all.begin(), all.end(),
              [](const Execution* a, const Execution* b) { return a->sequence < b->sequence; });
    const auto [begin, end, token] = page_bounds(all.size(), query);
    json summaries = json::array();
    for (std::size_t i = begin; i < end; ++i) {
        summaries.push_back(
            {{"jobId", all[i]->job_id}, {"jobExecutionSummary", s.control_summary_json(*all[i])}});
    }
    json body{{"executionSummaries", summaries}};
    if (!token.empty()) {
        body["nextToken"] = token;
    }
    return ControlResult::success(body);
}

ControlResult JobsService::cancel_job_execution(const std::string& thing_name,
                                                const std::string& job_id, bool force,
                                                const json& body, std::int64_t now) {
    State& s = *state_;
    Execution* e = s.latest(thing_name, job_id);
    if (e == nullptr) {
        return not_found("Job execution " + job_id + " of thing " + thing_name +
                         " cannot be found");
    }
    if (!body.is_null() && !body.is_object()) {
        return invalid_request("Request body must be a JSON object");
    }
    std::optional<std::int64_t> expected;
    std::optional<json> details;
    if (body.is_object() && body.contains("expectedVersion")) {
        expected = as_version(body["expectedVersion"]);
        if (!expected) {
            return invalid_request("expectedVersion must be a number");
        }
    }
    if (body.is_object() && body.contains("statusDetails") && !body["statusDetails"].is_null()) {
        if (auto problem = check_status_details(body["statusDetails"], 10)) {
            return invalid_request(*problem);
        }
        details = body["statusDetails"];
    }
    if (is_terminal(e->status)) {
        return invalid_transition("Job execution is already " + e->status);
    }
    if (e->status == "IN_PROGRESS" && !force) {
        return invalid_transition("Job execution is IN_PROGRESS; use force to cancel it");
    }
    if (expected && *expected != e->version) {
        return ControlResult::failure("VersionConflictException", 409,
                                      "expectedVersion " + std::to_string(*expected) +
                                          " does not match version " + std::to_string(e->version));
    }
    KvTransaction transaction(s.store);
    State::Snapshot before;
    before[thing_name] = s.pending_keys(thing_name);
    s.snapshot_job(job_id, before);
    e->force_canceled = e->status == "IN_PROGRESS";
    e->status = "CANCELED";
    e->version += 1;
    e->last_updated_at = now;
    if (details) {
        e->status_details = *details;
    }
    s.save(*e);
    std::set<std::string> touched{thing_name};
    s.after_terminal(*e, now, touched);
    Messages messages;
    s.notify_all(touched, before, now, messages);
    return ControlResult::success(nullptr, messages);
}

ControlResult JobsService::delete_job_execution(const std::string& thing_name,
                                                const std::string& job_id,
                                                std::int64_t execution_number, bool force,
                                                std::int64_t now) {
    State& s = *state_;
    const Execution* e = s.find(thing_name, job_id, execution_number);
    if (e == nullptr) {
        return not_found("Job execution " + job_id + " #" + std::to_string(execution_number) +
                         " of thing " + thing_name + " cannot be found");
    }
    if (!force && !is_terminal(e->status)) {
        return invalid_transition("Job execution is " + e->status +
                                  "; only terminal executions can be deleted without force");
    }
    KvTransaction transaction(s.store);
    const auto before = s.pending_keys(thing_name);
    auto& list = s.executions[thing_name][job_id];
    s.erase(*e);
    list.erase(
        std::remove_if(list.begin(), list.end(),
                       [&](const Execution& x) { return x.execution_number == execution_number; }),
        list.end());
    if (list.empty()) {
        s.executions[thing_name].erase(job_id);
    }
    Messages messages;
    s.notify_changes(thing_name, before, now, messages);
    auto job = s.jobs.find(job_id);
    if (job != s.jobs.end()) {
        s.check_completion(job->second, now);
    }
    return ControlResult::success(nullptr, messages);
}

} // namespace fota::cloud
