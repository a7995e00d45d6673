// JobsService's entry points for things and jobs: the control-plane calls on things and jobs
// (create/describe/cancel/delete/list), a running job's rollout, abort and completion, and the
// job document with its presigned-URL placeholders. Executions, the device API, notifications
// and persistence live in the files that jobs_state.hpp lists.

#include "fota/cloud/jobs_service.hpp"

#include <algorithm>
#include <limits>
#include <string>

#include "fota/cloud/identifiers.hpp"
#include "fota/cloud/jobs_topic.hpp"
#include "fota/cloud/json_input.hpp"
#include "jobs_state.hpp"

namespace fota::cloud {

using jobs_detail::Execution;
using jobs_detail::invalid_request;
using jobs_detail::invalid_transition;
using jobs_detail::is_terminal;
using jobs_detail::Job;
using jobs_detail::not_found;
using jobs_detail::page_bounds;
using jobs_detail::PendingKey;
using jobs_detail::Thing;
using jobs_detail::thing_name_from_arn;
using nlohmann::json;

JobsService::JobsService(KvStore& store, JobsOptions options)
    : state_(std::make_unique<State>(store, std::move(options))) {
    state_->load();
}

JobsService::~JobsService() = default;

void JobsService::set_signer(PresignedUrlSigner* signer) {
    state_->signer = signer;
}

bool JobsService::is_jobs_topic(std::string_view topic) {
    return parse_jobs_topic(topic).has_value();
}

std::size_t JobsService::execution_count() const {
    std::size_t count = 0;
    for (const auto& [thing, by_job] : state_->executions) {
        for (const auto& [job, list] : by_job) {
            count += list.size();
        }
    }
    return count;
}

void JobsService::reject_next_update(const std::string& thing_name, const std::string& code) {
    state_->reject_next_update[thing_name] = code;
}

// ---- control plane: things ------------------------------------------------------------------

ControlResult JobsService::create_thing(const std::string& thing_name, const json& body,
                                        std::int64_t now) {
    State& s = *state_;
    if (!is_valid_thing_name(thing_name)) {
        return invalid_request("thingName must be 1-128 characters of [a-zA-Z0-9:_-]");
    }
    if (!body.is_null() && !body.is_object()) {
        return invalid_request("Request body must be a JSON object");
    }
    json attributes = json::object();
    if (body.is_object() && body.contains("attributePayload")) {
        const json& payload = body["attributePayload"];
        if (!payload.is_object() ||
            (payload.contains("attributes") && !payload["attributes"].is_object())) {
            return invalid_request("attributePayload.attributes must be an object");
        }
        attributes = payload.value("attributes", json::object());
        for (const auto& [key, value] : attributes.items()) {
            if (!value.is_string()) {
                return invalid_request("attribute '" + key + "' must be a string");
            }
        }
    }
    const json response{
        {"thingName", thing_name}, {"thingArn", s.thing_arn(thing_name)}, {"thingId", thing_name}};
    auto existing = s.things.find(thing_name);
    if (existing != s.things.end()) {
        if (existing->second.attributes == attributes) {
            return ControlResult::success(response); // CreateThing is idempotent
        }
        return ControlResult::failure("ResourceAlreadyExistsException", 409,
                                      "Thing " + thing_name +
                                          " already exists with different attributes");
    }
    KvTransaction transaction(s.store);
    Thing thing{thing_name, now, attributes, 1};
    s.things[thing_name] = thing;
    s.save(thing);
    return ControlResult::success(response);
}

ControlResult JobsService::describe_thing(const std::string& thing_name) const {
    const State& s = *state_;
    auto it = s.things.find(thing_name);
    if (it == s.things.end()) {
        return not_found("Thing " + thing_name + " cannot be found");
    }
    return ControlResult::success(json{{"thingName", it->second.name},
                                       {"thingArn", s.thing_arn(it->second.name)},
                                       {"thingId", it->second.name},
                                       {"defaultClientId", it->second.name},
                                       {"attributes", it->second.attributes},
                                       {"version", it->second.version}});
}

ControlResult JobsService::delete_thing(const std::string& thing_name,
                                        std::optional<std::int64_t> expected_version) {
    State& s = *state_;
    if (!is_valid_thing_name(thing_name)) {
        return invalid_request("thingName must be 1-128 characters of [a-zA-Z0-9:_-]");
    }
    auto it = s.things.find(thing_name);
    if (it == s.things.end()) {
        return ControlResult::success(json::object());
    }
    if (expected_version && *expected_version != it->second.version) {
        return ControlResult::failure("VersionConflictException", 409,
                                      "The version of thing " + thing_name + " is " +
                                          std::to_string(it->second.version) + ", not " +
                                          std::to_string(*expected_version));
    }
    s.store.erase("jobs.thing", thing_name);
    s.things.erase(it);
    return ControlResult::success(json::object());
}

ControlResult JobsService::list_things(const ListQuery& query) const {
    const State& s = *state_;
    std::vector<const Thing*> all;
    for (const auto& [name, thing] : s.things) {
        if (query.attribute_name &&
            thing.attributes.value(*query.attribute_name, json()) != query.attribute_value) {
            continue;
        }
        all.push_back(&thing);
    }
    const auto [begin, end, token] = page_bounds(all.size(), query);
    json things = json::array();
    for (std::size_t i = begin; i < end; ++i) {
        things.push_back({{"thingName", all[i]->name},
                          {"thingArn", s.thing_arn(all[i]->name)},
                          {"attributes", all[i]->attributes},
                          {"version", all[i]->version}});
    }
    json body{{"things", things}};
    if (!token.empty()) {
        body["nextToken"] = token;
    }
    return ControlResult::success(body);
}

// ---- control plane: jobs --------------------------------------------------------------------

namespace jobs_detail {

// The CreateJob body's fields, once checked.
struct JobRequest {
    std::string document;
    std::string description;
    std::string selection = "SNAPSHOT";
    std::vector<std::string> targets;       // ARNs as given
    std::vector<std::string> target_things; // thing names resolved from targets, each once
};

namespace {

std::optional<ControlResult> read_job_document(const json& body, JobRequest& request) {
    if (body.contains("documentSource")) {
        return invalid_request("documentSource is not supported by the local cloud; pass "
                               "the document inline");
    }
    if (!body.contains("document") || !body["document"].is_string()) {
        return invalid_request("document is required and must be a string");
    }
    request.document = body["document"].get<std::string>();
    if (request.document.size() > max_job_document) {
        return invalid_request("document must be at most 32768 characters");
    }
    const auto parsed_document = parse_json_input(request.document);
    if (parsed_document.status != JsonInputStatus::ok || !parsed_document.value.is_object()) {
        return invalid_request("document must be a UTF-8 JSON object");
    }
    return std::nullopt;
}

// targetSelection, description and the configs.
std::optional<ControlResult> read_job_options(const json& body, JobRequest& request) {
    if (body.contains("targetSelection")) {
        if (body["targetSelection"] != "SNAPSHOT" && body["targetSelection"] != "CONTINUOUS") {
            return invalid_request("targetSelection must be SNAPSHOT or CONTINUOUS");
        }
        request.selection = body["targetSelection"].get<std::string>();
    }
    if (body.contains("description")) {
        if (!body["description"].is_string() ||
            body["description"].get_ref<const std::string&>().size() > 2028) {
            return invalid_request("description must be a string of at most 2028 characters");
        }
        request.description = body["description"].get<std::string>();
    }
    if (auto problem = check_job_configs(body)) {
        return invalid_request(*problem);
    }
    return std::nullopt;
}

} // namespace
} // namespace jobs_detail

std::optional<ControlResult>
JobsService::State::read_job_targets(const json& body, jobs_detail::JobRequest& request) const {
    if (!body.contains("targets") || !body["targets"].is_array() || body["targets"].empty()) {
        return invalid_request("targets must be a non-empty list of thing ARNs");
    }
    for (const json& target : body["targets"]) {
        if (!target.is_string() || target.get_ref<const std::string&>().size() > 2048) {
            return invalid_request("targets must be ARN strings of at most 2048 characters");
        }
        const std::string arn = target.get<std::string>();
        std::string kind;
        const std::string name = thing_name_from_arn(arn, kind);
        if (kind == "thinggroup") {
            return invalid_request("thing group targets are not supported by the local cloud: " +
                                   arn);
        }
        if (kind != "thing" || !is_valid_thing_name(name)) {
            return invalid_request("target is not a thing ARN: " + arn);
        }
        if (things.count(name) == 0) {
            return not_found("Thing " + name + " cannot be found");
        }
        request.targets.push_back(arn);
        auto& names = request.target_things;
        if (std::find(names.begin(), names.end(), name) == names.end()) {
            names.push_back(name);
        }
    }
    return std::nullopt;
}

// Stores the checked job and releases its first rollout window; returns the notifications.
Messages JobsService::State::add_job(const std::string& job_id, const json& body,
                                     const jobs_detail::JobRequest& request, std::int64_t now) {
    KvTransaction transaction(store);
    Job job;
    job.job_id = job_id;
    job.document = request.document;
    job.description = request.description;
    job.targets = request.targets;
    job.target_things = request.target_things;
    job.target_selection = request.selection;
    job.created_at = now;
    job.last_updated_at = now;
    job.sequence = next_sequence();
    job.presigned_url_config = body.value("presignedUrlConfig", json());
    job.rollout_config = body.value("jobExecutionsRolloutConfig", json());
    job.abort_config = body.value("abortConfig", json());
    job.timeout_config = body.value("timeoutConfig", json());
    job.retry_config = body.value("jobExecutionsRetryConfig", json());
    job.pending_rollout = request.target_things;
    job.rollout_window_start = now;
    Job& stored = jobs[job_id] = job;

    std::map<std::string, std::vector<PendingKey>> before;
    for (const auto& thing : request.target_things) {
        before[thing] = pending_keys(thing);
    }
    std::set<std::string> touched;
    release_rollout(stored, now, touched);
    save(stored);
    Messages messages;
    for (const auto& thing : touched) {
        notify_changes(thing, before[thing], now, messages);
    }
    return messages;
}

ControlResult JobsService::create_job(const std::string& job_id, const json& body,
                                      std::int64_t now) {
    State& s = *state_;
    if (!is_valid_job_id(job_id)) {
        return invalid_request("jobId must be 1-64 characters of [a-zA-Z0-9_-]");
    }
    if (!body.is_object()) {
        return invalid_request("Request body must be a JSON object");
    }
    if (s.jobs.count(job_id) != 0) {
        return ControlResult::failure("ResourceAlreadyExistsException", 409,
                                      "Job " + job_id + " already exists");
    }
    jobs_detail::JobRequest request;
    if (auto failure = jobs_detail::read_job_document(body, request)) {
        return *failure;
    }
    if (auto failure = s.read_job_targets(body, request)) {
        return *failure;
    }
    if (auto failure = jobs_detail::read_job_options(body, request)) {
        return *failure;
    }
    const Messages messages = s.add_job(job_id, body, request, now);
    json response{{"jobArn", s.job_arn(job_id)}, {"jobId", job_id}};
    if (!request.description.empty()) {
        response["description"] = request.description;
    }
    return ControlResult::success(response, messages);
}

ControlResult JobsService::describe_job(const std::string& job_id) const {
    const State& s = *state_;
    auto it = s.jobs.find(job_id);
    if (it == s.jobs.end()) {
        return not_found("Job " + job_id + " cannot be found");
    }
    return ControlResult::success(json{{"job", s.job_json(it->second)}});
}

ControlResult JobsService::get_job_document(const std::string& job_id) const {
    const State& s = *state_;
    auto it = s.jobs.find(job_id);
    if (it == s.jobs.end()) {
        return not_found("Job " + job_id + " cannot be found");
    }
    return ControlResult::success(json{{"document", it->second.document}});
}

ControlResult JobsService::list_jobs(const ListQuery& query) const {
    const State& s = *state_;
    std::vector<const Job*> all;
    for (const auto& [id, job] : s.jobs) {
        if (!query.status || job.status == *query.status) {
            all.push_back(&job);
        }
    }
    std::sort(all.begin(), all.end(),
              [](const Job* a, const Job* b) { return a->sequence < b->sequence; });
    const auto [begin, end, token] = page_bounds(all.size(), query);
    json jobs = json::array();
    for (std::size_t i = begin; i < end; ++i) {
        json summary{{"jobArn", s.job_arn(all[i]->job_id)},
                     {"jobId", all[i]->job_id},
                     {"targetSelection", all[i]->target_selection},
                     {"status", all[i]->status},
                     {"isConcurrent", false},
                     {"createdAt", all[i]->created_at},
                     {"lastUpdatedAt", all[i]->last_updated_at}};
        if (all[i]->completed_at != 0) {
            summary["completedAt"] = all[i]->completed_at;
        }
        jobs.push_back(summary);
    }
    json body{{"jobs", jobs}};
    if (!token.empty()) {
        body["nextToken"] = token;
    }
    return ControlResult::success(body);
}

ControlResult JobsService::cancel_job(const std::string& job_id, bool force, const json& body,
                                      std::int64_t now) {
    State& s = *state_;
    auto it = s.jobs.find(job_id);
    if (it == s.jobs.end()) {
        return not_found("Job " + job_id + " cannot be found");
    }
    Job& job = it->second;
    if (!body.is_null() && !body.is_object()) {
        return invalid_request("Request body must be a JSON object");
    }
    std::string reason;
    std::string comment;
    if (body.is_object() && body.contains("reasonCode")) {
        if (!body["reasonCode"].is_string() ||
            body["reasonCode"].get_ref<const std::string&>().size() > 128) {
            return invalid_request("reasonCode must be a string of at most 128 characters");
        }
        reason = body["reasonCode"].get<std::string>();
        for (char c : reason) {
            if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) {
                return invalid_request("reasonCode must match [A-Z0-9_]+");
            }
        }
    }
    if (body.is_object() && body.contains("comment")) {
        if (!body["comment"].is_string() ||
            body["comment"].get_ref<const std::string&>().size() > 2028) {
            return invalid_request("comment must be a string of at most 2028 characters");
        }
        comment = body["comment"].get<std::string>();
    }
    if (job.status == "COMPLETED") {
        return invalid_request("Job " + job_id + " is COMPLETED and cannot be canceled");
    }
    KvTransaction transaction(s.store);
    std::map<std::string, std::vector<PendingKey>> before;
    for (const auto& thing : job.target_things) {
        before[thing] = s.pending_keys(thing);
    }
    std::set<std::string> touched;
    s.cancel_job_executions(job, force, now, touched);
    job.status = "CANCELED";
    job.force_canceled = job.force_canceled || force;
    if (!reason.empty()) {
        job.reason_code = reason;
    }
    if (!comment.empty()) {
        job.comment = comment;
    }
    job.last_updated_at = now;
    s.save(job);
    Messages messages;
    for (const auto& thing : touched) {
        s.notify_changes(thing, before[thing], now, messages);
    }
    json response{{"jobArn", s.job_arn(job_id)}, {"jobId", job_id}};
    if (!job.description.empty()) {
        response["description"] = job.description;
    }
    return ControlResult::success(response, messages);
}

ControlResult JobsService::delete_job(const std::string& job_id, bool force, std::int64_t now) {
    State& s = *state_;
    auto it = s.jobs.find(job_id);
    if (it == s.jobs.end()) {
        return not_found("Job " + job_id + " cannot be found");
    }
    Job& job = it->second;
    if (!force && job.status != "COMPLETED" && job.status != "CANCELED") {
        return invalid_transition("Job " + job_id + " is " + job.status +
                                  "; only COMPLETED or CANCELED jobs can be deleted without force");
    }
    if (!force) {
        for (const auto& thing : job.target_things) {
            const Execution* e = s.latest(thing, job_id);
            if (e != nullptr && !is_terminal(e->status)) {
                return invalid_transition("Job " + job_id + " has an execution IN_PROGRESS on " +
                                          thing + "; use force");
            }
        }
    }
    KvTransaction transaction(s.store);
    Messages messages;
    const std::vector<std::string> things = job.target_things;
    for (const auto& thing : things) {
        const auto before = s.pending_keys(thing);
        auto t = s.executions.find(thing);
        if (t == s.executions.end()) {
            continue;
        }
        auto j = t->second.find(job_id);
        if (j == t->second.end()) {
            continue;
        }
        for (const auto& e : j->second) {
            s.erase(e);
        }
        t->second.erase(j);
        s.notify_changes(thing, before, now, messages);
    }
    s.store.erase("jobs.job", job_id);
    s.jobs.erase(it);
    return ControlResult::success(nullptr, messages);
}

// ---- a running job: rollout, abort, completion (spec §4) ------------------------------------

void JobsService::State::release_rollout(Job& job, std::int64_t now,
                                         std::set<std::string>& touched) {
    if (job.status != "IN_PROGRESS" || job.pending_rollout.empty()) {
        return;
    }
    if (now >= job.rollout_window_start + 60 || job.rollout_window_rate == 0) {
        job.rollout_window_start = now;
        job.rollout_in_window = 0;
        job.rollout_window_rate = rollout_rate(job);
    }
    bool changed = false;
    while (!job.pending_rollout.empty() && job.rollout_in_window < job.rollout_window_rate) {
        const std::string thing = job.pending_rollout.front();
        job.pending_rollout.erase(job.pending_rollout.begin());
        queue_execution(thing, job, 1, 0, now);
        touched.insert(thing);
        ++job.rollout_in_window;
        ++job.notified_things;
        changed = true;
    }
    if (changed) {
        save(job);
    }
}

void JobsService::State::check_abort(Job& job, std::int64_t now, std::set<std::string>& touched) {
    if (job.status != "IN_PROGRESS" || !job.abort_config.is_object()) {
        return;
    }
    std::int64_t executed = 0;
    std::map<std::string, std::int64_t> by_status;
    for (const auto& thing : job.target_things) {
        const Execution* e = latest(thing, job.job_id);
        if (e != nullptr && is_terminal(e->status)) {
            ++executed;
            ++by_status[e->status];
        }
    }
    const auto comment = jobs_detail::abort_comment(job.abort_config, executed, by_status);
    if (!comment) {
        return;
    }
    // An abort cancels only QUEUED executions (spec §4.3).
    cancel_job_executions(job, false, now, touched);
    job.status = "CANCELED";
    job.reason_code = "ABORTED_BY_ABORT_CONFIG";
    job.comment = *comment;
    job.last_updated_at = now;
    save(job);
}

void JobsService::State::check_completion(Job& job, std::int64_t now) {
    if (job.status != "IN_PROGRESS" || job.target_selection != "SNAPSHOT" ||
        !job.pending_rollout.empty()) {
        return;
    }
    // Targets before the cursor are known terminal (queue_execution resets it), so a fleet
    // finishing one by one costs O(targets) in total, not per update.
    std::size_t& cursor = completion_cursor[job.job_id];
    for (; cursor < job.target_things.size(); ++cursor) {
        const Execution* e = latest(job.target_things[cursor], job.job_id);
        if (e != nullptr && !is_terminal(e->status)) {
            return;
        }
    }
    job.status = "COMPLETED";
    job.completed_at = now;
    job.last_updated_at = now;
    save(job);
}

// ---- JSON of jobs and job documents --------------------------------------------------------

json JobsService::State::job_process_details(const Job& job) const {
    std::map<std::string, std::int64_t> counts;
    for (const auto& thing : job.target_things) {
        auto t = executions.find(thing);
        if (t == executions.end()) {
            continue;
        }
        auto j = t->second.find(job.job_id);
        if (j != t->second.end() && !j->second.empty()) {
            ++counts[j->second.back().status];
        }
    }
    json details{{"numberOfCanceledThings", counts["CANCELED"]},
                 {"numberOfSucceededThings", counts["SUCCEEDED"]},
                 {"numberOfFailedThings", counts["FAILED"]},
                 {"numberOfRejectedThings", counts["REJECTED"]},
                 {"numberOfQueuedThings", counts["QUEUED"]},
                 {"numberOfInProgressThings", counts["IN_PROGRESS"]},
                 {"numberOfRemovedThings", counts["REMOVED"]},
                 {"numberOfTimedOutThings", counts["TIMED_OUT"]}};
    if (!job.pending_rollout.empty()) {
        details["processingTargets"] = job.pending_rollout;
    }
    return details;
}

json JobsService::State::job_json(const Job& job) const {
    json out{{"jobArn", job_arn(job.job_id)},
             {"jobId", job.job_id},
             {"targetSelection", job.target_selection},
             {"status", job.status},
             {"forceCanceled", job.force_canceled},
             {"targets", job.targets},
             {"createdAt", job.created_at},
             {"lastUpdatedAt", job.last_updated_at},
             {"isConcurrent", false},
             {"jobProcessDetails", job_process_details(job)}};
    if (!job.description.empty()) {
        out["description"] = job.description;
    }
    if (!job.reason_code.empty()) {
        out["reasonCode"] = job.reason_code;
    }
    if (!job.comment.empty()) {
        out["comment"] = job.comment;
    }
    if (job.completed_at != 0) {
        out["completedAt"] = job.completed_at;
    }
    const std::pair<const char*, const json*> configs[] = {
        {"presignedUrlConfig", &job.presigned_url_config},
        {"jobExecutionsRolloutConfig", &job.rollout_config},
        {"abortConfig", &job.abort_config},
        {"timeoutConfig", &job.timeout_config},
        {"jobExecutionsRetryConfig", &job.retry_config}};
    for (const auto& [name, value] : configs) {
        if (!value->is_null()) {
            out[name] = *value;
        }
    }
    return out;
}

json JobsService::State::job_document(const Job& job, std::int64_t now) const {
    json document = json::parse(job.document, nullptr, false);
    if (document.is_discarded()) {
        return json::object();
    }
    if (signer == nullptr) {
        return document;
    }
    std::int64_t expires = 3600;
    if (job.presigned_url_config.is_object() && job.presigned_url_config.contains("expiresInSec")) {
        expires = job.presigned_url_config["expiresInSec"].get<std::int64_t>();
    }
    substitute(document, expires, now);
    return document;
}

void JobsService::State::substitute(json& node, std::int64_t expires, std::int64_t now) const {
    if (node.is_object() || node.is_array()) {
        for (auto& child : node) {
            substitute(child, expires, now);
        }
        return;
    }
    if (!node.is_string()) {
        return;
    }
    static constexpr std::string_view open = "${aws:iot:s3-presigned-url:";
    std::string text = node.get<std::string>();
    std::size_t pos = 0;
    while ((pos = text.find(open, pos)) != std::string::npos) {
        const std::size_t close = text.find('}', pos + open.size());
        if (close == std::string::npos) {
            break;
        }
        const std::string url = text.substr(pos + open.size(), close - pos - open.size());
        auto signed_url = signer->presign(url, expires, now);
        if (!signed_url) {
            pos = close + 1;
            continue;
        }
        text.replace(pos, close + 1 - pos, *signed_url);
        pos += signed_url->size();
    }
    node = text;
}

} // namespace fota::cloud
