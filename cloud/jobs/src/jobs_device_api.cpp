// The device side of Jobs (spec §2): one PUBLISH on $aws/things/<T>/jobs/... is read into a
// DeviceRequest, answered on <topic>/accepted or /rejected (to the requester only), and followed
// by the notifications its change causes. GetPendingJobExecutions, StartNextPendingJobExecution,
// DescribeJobExecution and UpdateJobExecution, with AWS's checks and their order.

#include <string>
#include <utility>

#include "fota/cloud/identifiers.hpp"
#include "fota/cloud/jobs_topic.hpp"
#include "fota/cloud/json_input.hpp"
#include "jobs_state.hpp"

namespace fota::cloud {

using jobs_detail::as_integer;
using jobs_detail::as_version;
using jobs_detail::Execution;
using jobs_detail::execution_state_json;
using jobs_detail::is_terminal;
using jobs_detail::max_client_token;
using jobs_detail::max_pending_listed;
using jobs_detail::max_step_minutes;
using jobs_detail::summary_json;
using nlohmann::json;

namespace jobs_detail {

// One request from a device: who sent it where, its JSON payload, and its reply, which goes
// first in `out` (before the notifications).
struct DeviceRequest {
    std::string requester;
    std::string topic;
    std::string thing;
    std::string job_id;
    json body = json::object();
    std::optional<std::string> client_token;
    std::int64_t now = 0;
    Messages& out;

    void accept(json reply) const {
        reply["timestamp"] = now;
        if (client_token) {
            reply["clientToken"] = *client_token;
        }
        out.insert(out.begin(), {requester, topic + "/accepted",
                                 reply.dump(-1, ' ', false, json::error_handler_t::replace)});
    }
    void reject(const std::string& code, const std::string& message,
                const Execution* state_of) const {
        json reply{{"code", code}, {"message", message}, {"timestamp", now}};
        if (client_token) {
            reply["clientToken"] = *client_token;
        }
        if (state_of != nullptr) {
            reply["executionState"] = execution_state_json(*state_of);
        }
        out.insert(out.begin(), {requester, topic + "/rejected",
                                 reply.dump(-1, ' ', false, json::error_handler_t::replace)});
    }

    // Payload: empty means {} (spec §2.3); otherwise a JSON object. Then its clientToken.
    bool read_payload(std::string_view payload) {
        if (!payload.empty()) {
            auto input = parse_json_input(payload);
            if (input.status != JsonInputStatus::ok) {
                reject("InvalidJson", "Request payload is not valid UTF-8 JSON", nullptr);
                return false;
            }
            if (!input.value.is_object()) {
                reject("InvalidJson", "Request payload must be a JSON object", nullptr);
                return false;
            }
            body = std::move(input.value);
        }
        if (body.contains("clientToken")) {
            const json& token = body["clientToken"];
            if (!token.is_string()) {
                reject("InvalidRequest", "clientToken must be a string", nullptr);
                return false;
            }
            client_token = token.get<std::string>();
            if (client_token->size() > max_client_token) {
                client_token.reset();
                reject("InvalidRequest", "clientToken must be at most 64 characters", nullptr);
                return false;
            }
        }
        return true;
    }

    [[nodiscard]] std::optional<bool> read_bool(const char* name, bool fallback) const {
        if (!body.contains(name)) {
            return fallback;
        }
        if (!body[name].is_boolean()) {
            return std::nullopt;
        }
        return body[name].get<bool>();
    }
    // stepTimeoutInMinutes: 1..10080, and -1 (cancel the step timer) where `allow_cancel`.
    bool read_step(bool allow_cancel, std::optional<std::int64_t>& minutes) const {
        if (!body.contains("stepTimeoutInMinutes")) {
            return true;
        }
        auto value = as_integer(body["stepTimeoutInMinutes"]);
        if (!value ||
            ((*value < 1 || *value > max_step_minutes) && !(allow_cancel && *value == -1))) {
            reject("InvalidRequest",
                   "stepTimeoutInMinutes must be an integer from 1 to 10080" +
                       std::string(allow_cancel ? ", or -1" : ""),
                   nullptr);
            return false;
        }
        minutes = *value;
        return true;
    }
    bool read_details(std::optional<json>& details) const {
        if (!body.contains("statusDetails") || body["statusDetails"].is_null()) {
            return true; // omitted or null: the stored map is unchanged (README, Q4)
        }
        if (auto problem = check_status_details(body["statusDetails"], 10000)) {
            reject("InvalidRequest", *problem, nullptr);
            return false;
        }
        details = body["statusDetails"];
        return true;
    }
    bool read_execution_number(std::optional<std::int64_t>& number) const {
        if (body.contains("executionNumber")) {
            number = as_integer(body["executionNumber"]);
            if (!number) {
                reject("InvalidRequest", "executionNumber must be an integer", nullptr);
                return false;
            }
        }
        return true;
    }
};

// The fields of an UpdateJobExecution request, once read.
struct UpdateRequest {
    std::string status;
    bool include_state = false;
    bool include_document = false;
    std::optional<json> new_details;
    std::optional<std::int64_t> step_minutes;
    std::optional<std::int64_t> expected_version;
    std::optional<std::int64_t> execution_number;
};

namespace {

std::optional<UpdateRequest> read_update(const DeviceRequest& request) {
    UpdateRequest update;
    const auto include_state = request.read_bool("includeJobExecutionState", false);
    const auto include_document = request.read_bool("includeJobDocument", false);
    if (!include_state || !include_document) {
        request.reject("InvalidRequest",
                       "includeJobExecutionState and includeJobDocument must be booleans", nullptr);
        return std::nullopt;
    }
    update.include_state = *include_state;
    update.include_document = *include_document;
    if (!request.read_details(update.new_details) ||
        !request.read_step(true, update.step_minutes)) {
        return std::nullopt;
    }
    const json& body = request.body;
    if (body.contains("expectedVersion")) {
        update.expected_version = as_version(body["expectedVersion"]);
        if (!update.expected_version) {
            request.reject("InvalidRequest",
                           "expectedVersion must be a number or a string of digits", nullptr);
            return std::nullopt;
        }
    }
    if (!request.read_execution_number(update.execution_number)) {
        return std::nullopt;
    }
    if (!body.contains("status") || !body["status"].is_string()) {
        request.reject("InvalidRequest", "status is required and must be a string", nullptr);
        return std::nullopt;
    }
    update.status = body["status"].get<std::string>();
    const std::string& status = update.status;
    const bool device_status = status == "IN_PROGRESS" || status == "SUCCEEDED" ||
                               status == "FAILED" || status == "REJECTED";
    if (!device_status && status != "QUEUED") {
        request.reject("InvalidRequest",
                       "status must be one of IN_PROGRESS, SUCCEEDED, FAILED, REJECTED", nullptr);
        return std::nullopt;
    }
    return update;
}

} // namespace
} // namespace jobs_detail

using jobs_detail::DeviceRequest;
using jobs_detail::UpdateRequest;

Messages JobsService::handle_request(std::string_view client_id, std::string_view topic,
                                     std::string_view payload, std::int64_t now) {
    Messages out;
    const auto parsed = parse_jobs_topic(topic);
    if (!parsed) {
        return out;
    }
    DeviceRequest request{std::string(client_id),
                          std::string(topic),
                          std::string(parsed->thing_name),
                          std::string(parsed->job_id),
                          json::object(),
                          std::nullopt,
                          now,
                          out};
    if (parsed->operation == JobsOperation::reply) {
        return out; // AWS publishes these; a device cannot (the plugin refuses them earlier)
    }
    if (parsed->operation == JobsOperation::invalid || !is_valid_thing_name(parsed->thing_name)) {
        request.reject("InvalidTopic",
                       "Topic " + request.topic + " does not map to any AWS IoT Jobs API", nullptr);
        return out;
    }
    if (!request.read_payload(payload)) {
        return out;
    }
    switch (parsed->operation) {
    case JobsOperation::get_pending:
        state_->get_pending(request);
        break;
    case JobsOperation::start_next:
        state_->start_next(request);
        break;
    case JobsOperation::describe:
        state_->describe(request);
        break;
    case JobsOperation::update:
        state_->update(request);
        break;
    default:
        break;
    }
    return out;
}

void JobsService::State::get_pending(const DeviceRequest& request) {
    json in_progress = json::array();
    json queued = json::array();
    const auto list = pending(request.thing);
    for (std::size_t i = 0; i < list.size() && i < max_pending_listed; ++i) {
        (list[i]->status == "IN_PROGRESS" ? in_progress : queued).push_back(summary_json(*list[i]));
    }
    request.accept(json{{"inProgressJobs", in_progress}, {"queuedJobs", queued}});
}

void JobsService::State::start_next(const DeviceRequest& request) {
    std::optional<json> new_details;
    std::optional<std::int64_t> step_minutes;
    if (!request.read_details(new_details) || !request.read_step(false, step_minutes)) {
        return;
    }
    const std::int64_t now = request.now;
    const auto before = pending_keys(request.thing);
    const auto list = pending(request.thing);
    if (list.empty()) {
        request.accept(json::object());
        return;
    }
    KvTransaction transaction(store);
    Execution& e = *list.front();
    if (e.status == "QUEUED") {
        e.status = "IN_PROGRESS";
        e.started_at = now;
        e.last_updated_at = now;
        e.version += 1;
        if (new_details) {
            e.status_details = *new_details;
        }
        start_timers(e, now);
    }
    if (step_minutes) {
        set_step_timer(e, *step_minutes, now);
    }
    save(e);
    json body{{"execution", execution_json(e, true, now)}};
    Messages notes;
    notify_changes(request.thing, before, now, notes);
    request.accept(body);
    request.out.insert(request.out.end(), notes.begin(), notes.end());
}

void JobsService::State::describe(const DeviceRequest& request) {
    const auto include_document = request.read_bool("includeJobDocument", true);
    if (!include_document) {
        request.reject("InvalidRequest", "includeJobDocument must be a boolean", nullptr);
        return;
    }
    std::optional<std::int64_t> number;
    if (!request.read_execution_number(number)) {
        return;
    }
    if (request.job_id == "$next") {
        const auto list = pending(request.thing);
        if (list.empty()) {
            request.accept(json::object());
        } else {
            request.accept(
                json{{"execution", execution_json(*list.front(), *include_document, request.now)}});
        }
        return;
    }
    const Execution* e = find(request.thing, request.job_id, number);
    if (e == nullptr) {
        request.reject("ResourceNotFound",
                       "Job execution " + request.job_id + " of thing " + request.thing +
                           " does not exist",
                       nullptr);
        return;
    }
    request.accept(json{{"execution", execution_json(*e, *include_document, request.now)}});
}

void JobsService::State::update(const DeviceRequest& request) {
    const auto update = jobs_detail::read_update(request);
    if (!update) {
        return;
    }
    if (Execution* e = check_update(request, *update)) {
        apply_update(request, *update, *e);
    }
}

// The execution the update applies to, or nullptr after rejecting it (not found, a fault knob,
// an illegal transition, a version mismatch).
Execution* JobsService::State::check_update(const DeviceRequest& request,
                                            const UpdateRequest& update) {
    Execution* e = find(request.thing, request.job_id, update.execution_number);
    if (e == nullptr) {
        request.reject("ResourceNotFound",
                       "Job execution " + request.job_id + " of thing " + request.thing +
                           " does not exist",
                       nullptr);
        return nullptr;
    }
    if (auto knob = reject_next_update.find(request.thing); knob != reject_next_update.end()) {
        const std::string code = knob->second;
        reject_next_update.erase(knob);
        const bool with_state = code == "InvalidStateTransition" || code == "VersionMismatch";
        request.reject(code, "Rejected by a fault knob", with_state ? e : nullptr);
        return nullptr;
    }
    if (is_terminal(e->status) || update.status == "QUEUED") {
        request.reject("InvalidStateTransition",
                       "Cannot update job execution from " + e->status + " to " + update.status, e);
        return nullptr;
    }
    if (update.expected_version && *update.expected_version != e->version) {
        request.reject("VersionMismatch",
                       "expectedVersion " + std::to_string(*update.expected_version) +
                           " does not match the current version " + std::to_string(e->version),
                       e);
        return nullptr;
    }
    return e;
}

void JobsService::State::apply_update(const DeviceRequest& request, const UpdateRequest& update,
                                      Execution& e) {
    const std::string& thing = request.thing;
    const std::string& status = update.status;
    const std::int64_t now = request.now;
    KvTransaction transaction(store);
    Snapshot before;
    before[thing] = pending_keys(thing);
    if (is_terminal(status)) {
        snapshot_job(request.job_id, before);
    }
    if (e.status == "QUEUED" && status == "IN_PROGRESS") {
        e.started_at = now;
        start_timers(e, now);
    }
    e.status = status;
    e.version += 1;
    e.last_updated_at = now;
    if (update.new_details) {
        e.status_details = *update.new_details;
    }
    if (update.step_minutes && !is_terminal(status)) {
        set_step_timer(e, *update.step_minutes, now);
    }
    json body = json::object();
    if (update.include_state) {
        body["executionState"] = execution_state_json(e);
    }
    if (update.include_document) {
        auto job = jobs.find(request.job_id);
        body["jobDocument"] = job != jobs.end() ? job_document(job->second, now) : json::object();
    }
    save(e);
    std::set<std::string> touched{thing};
    if (is_terminal(status)) {
        after_terminal(e, now, touched); // may append to the list: `e` is invalid after this
    }
    request.accept(body);
    notify_all(touched, before, now, request.out);
}

} // namespace fota::cloud
