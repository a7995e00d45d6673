#include "fota/cloud/jobs_service.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <stdexcept>
#include <tuple>
#include <utility>
#include <vector>

#include "fota/cloud/identifiers.hpp"
#include "fota/cloud/jobs_topic.hpp"
#include "fota/cloud/json_input.hpp"
#include "jobs_model.hpp"

namespace fota::cloud {

using jobs_detail::Execution;
using jobs_detail::is_terminal;
using jobs_detail::Job;
using jobs_detail::Thing;
using nlohmann::json;

namespace {

constexpr std::size_t max_pending_listed = 10;
constexpr std::int64_t max_step_minutes = 10080;
constexpr std::size_t max_client_token = 64;
constexpr std::size_t max_job_document = 32768;
constexpr int default_page_size = 50;

using PendingKey = std::pair<std::string, std::int64_t>; // (jobId, executionNumber)

std::string execution_key(const Execution& e) {
    return e.thing + "/" + e.job_id + "/" + std::to_string(e.execution_number);
}

// ---- request field readers (MQTT) -------------------------------------------------------------

struct RequestError {
    std::string code;
    std::string message;
};

std::optional<std::int64_t> as_integer(const json& value) {
    if (value.is_number_integer() && !value.is_number_unsigned()) {
        return value.get<std::int64_t>();
    }
    if (value.is_number_unsigned()) {
        const auto v = value.get<std::uint64_t>();
        if (v <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
            return static_cast<std::int64_t>(v);
        }
    }
    return std::nullopt;
}

// expectedVersion: a JSON number or a string of decimal digits (spec §2.3).
std::optional<std::int64_t> as_version(const json& value) {
    if (auto number = as_integer(value)) {
        return number;
    }
    if (value.is_string()) {
        const auto& text = value.get_ref<const std::string&>();
        if (text.empty() || text.size() > 18) {
            return std::nullopt;
        }
        std::int64_t result = 0;
        for (char c : text) {
            if (c < '0' || c > '9') {
                return std::nullopt;
            }
            result = result * 10 + (c - '0');
        }
        return result;
    }
    return std::nullopt;
}

std::optional<std::string> check_status_details(const json& details, std::size_t max_pairs) {
    if (!details.is_object()) {
        return "statusDetails must be an object of string values";
    }
    if (details.size() > max_pairs) {
        return "statusDetails has more than " + std::to_string(max_pairs) + " entries";
    }
    for (const auto& [key, value] : details.items()) {
        if (!is_valid_details_key(key)) {
            return "statusDetails key '" + key + "' must be 1-128 characters of [a-zA-Z0-9:_-]";
        }
        if (!value.is_string()) {
            return "statusDetails value of '" + key + "' must be a string";
        }
        if (!is_valid_details_value(value.get_ref<const std::string&>())) {
            return "statusDetails value of '" + key +
                   "' must be 1-1024 characters without control characters";
        }
    }
    return std::nullopt;
}

// ---- output helpers ----------------------------------------------------------------------------

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

ControlResult invalid_request(const std::string& message) {
    return ControlResult::failure("InvalidRequestException", 400, message);
}
ControlResult not_found(const std::string& message) {
    return ControlResult::failure("ResourceNotFoundException", 404, message);
}
ControlResult invalid_transition(const std::string& message) {
    return ControlResult::failure("InvalidStateTransitionException", 409, message);
}

std::string thing_name_from_arn(const std::string& arn, std::string& kind) {
    // arn:aws:iot:<region>:<account>:thing/<name> or :thinggroup/<name>
    std::size_t colons = 0;
    std::size_t pos = 0;
    for (; pos < arn.size() && colons < 5; ++pos) {
        if (arn[pos] == ':') {
            ++colons;
        }
    }
    if (arn.rfind("arn:", 0) != 0 || colons != 5) {
        kind.clear();
        return {};
    }
    const std::string resource = arn.substr(pos);
    const std::size_t slash = resource.find('/');
    if (slash == std::string::npos) {
        kind.clear();
        return {};
    }
    kind = resource.substr(0, slash);
    return resource.substr(slash + 1);
}

// Reads page `token` (an offset) of `size` items; returns [begin, end) and the next token.
std::tuple<std::size_t, std::size_t, std::string> page_bounds(std::size_t total,
                                                              const ListQuery& query) {
    std::size_t begin = 0;
    if (!query.next_token.empty()) {
        try {
            begin = static_cast<std::size_t>(std::stoull(query.next_token));
        } catch (...) {
            begin = total;
        }
    }
    begin = std::min(begin, total);
    const std::size_t size =
        query.max_results > 0 ? static_cast<std::size_t>(query.max_results) : default_page_size;
    const std::size_t end = std::min(total, begin + size);
    return {begin, end, end < total ? std::to_string(end) : std::string()};
}

} // namespace

// ================================================================================================

struct JobsService::State {
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

    // ---- persistence ---------------------------------------------------------------------------
    void load() {
        for (const auto& [key, value] : store.load("jobs.thing")) {
            auto thing = json::parse(value).get<Thing>();
            things[thing.name] = thing;
        }
        for (const auto& [key, value] : store.load("jobs.job")) {
            auto job = json::parse(value).get<Job>();
            jobs[job.job_id] = job;
        }
        for (const auto& [key, value] : store.load("jobs.execution")) {
            auto e = json::parse(value).get<Execution>();
            executions[e.thing][e.job_id].push_back(e);
        }
        for (auto& [thing, by_job] : executions) {
            for (auto& [job_id, list] : by_job) {
                std::sort(list.begin(), list.end(), [](const Execution& a, const Execution& b) {
                    return a.execution_number < b.execution_number;
                });
            }
        }
        for (const auto& [key, value] : store.load("jobs.meta")) {
            if (key == "sequence") {
                sequence = std::stoll(value);
            }
        }
    }
    std::int64_t next_sequence() {
        ++sequence;
        store.put("jobs.meta", "sequence", std::to_string(sequence));
        return sequence;
    }
    void save(const Thing& t) {
        store.put("jobs.thing", t.name,
                  json(t).dump(-1, ' ', false, json::error_handler_t::replace));
    }
    void save(const Job& j) {
        store.put("jobs.job", j.job_id,
                  json(j).dump(-1, ' ', false, json::error_handler_t::replace));
    }
    void save(const Execution& e) {
        store.put("jobs.execution", execution_key(e),
                  json(e).dump(-1, ' ', false, json::error_handler_t::replace));
    }
    void erase(const Execution& e) { store.erase("jobs.execution", execution_key(e)); }

    std::string thing_arn(const std::string& name) const {
        return "arn:aws:iot:" + options.region + ":" + options.account_id + ":thing/" + name;
    }
    std::string job_arn(const std::string& id) const {
        return "arn:aws:iot:" + options.region + ":" + options.account_id + ":job/" + id;
    }

    // ---- lookups -------------------------------------------------------------------------------
    Execution* latest(const std::string& thing, const std::string& job_id) {
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
    Execution* find(const std::string& thing, const std::string& job_id,
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

    // IN_PROGRESS first, then QUEUED; each by queuedAt, then creation order (spec §2.7).
    std::vector<Execution*> pending(const std::string& thing) {
        std::vector<Execution*> list;
        auto t = executions.find(thing);
        if (t == executions.end()) {
            return list;
        }
        for (auto& [job_id, execs] : t->second) {
            if (!execs.empty() && !is_terminal(execs.back().status)) {
                list.push_back(&execs.back());
            }
        }
        std::sort(list.begin(), list.end(), [](const Execution* a, const Execution* b) {
            const int rank_a = a->status == "IN_PROGRESS" ? 0 : 1;
            const int rank_b = b->status == "IN_PROGRESS" ? 0 : 1;
            return std::tie(rank_a, a->queued_at, a->sequence) <
                   std::tie(rank_b, b->queued_at, b->sequence);
        });
        return list;
    }
    using Snapshot = std::map<std::string, std::vector<PendingKey>>;
    // Records the pending lists of every target of `job_id` (an abort may touch them all).
    void snapshot_job(const std::string& job_id, Snapshot& before) {
        auto job = jobs.find(job_id);
        if (job == jobs.end() || !job->second.abort_config.is_object()) {
            return; // only an abort changes other things' executions
        }
        for (const auto& thing : job->second.target_things) {
            if (before.find(thing) == before.end()) {
                before[thing] = pending_keys(thing);
            }
        }
    }
    void notify_all(const std::set<std::string>& touched, Snapshot& before, std::int64_t now,
                    Messages& out) {
        for (const auto& thing : touched) {
            if (before.find(thing) == before.end()) {
                before[thing] = {};
            }
            notify_changes(thing, before[thing], now, out);
        }
    }
    std::vector<PendingKey> pending_keys(const std::string& thing) {
        std::vector<PendingKey> keys;
        for (const Execution* e : pending(thing)) {
            keys.emplace_back(e->job_id, e->execution_number);
        }
        return keys;
    }

    // ---- JSON of executions --------------------------------------------------------------------
    json job_document(const Job& job, std::int64_t now) const {
        json document = json::parse(job.document, nullptr, false);
        if (document.is_discarded()) {
            return json::object();
        }
        if (signer == nullptr) {
            return document;
        }
        std::int64_t expires = 3600;
        if (job.presigned_url_config.is_object() &&
            job.presigned_url_config.contains("expiresInSec")) {
            expires = job.presigned_url_config["expiresInSec"].get<std::int64_t>();
        }
        substitute(document, expires, now);
        return document;
    }
    void substitute(json& node, std::int64_t expires, std::int64_t now) const {
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

    json execution_json(const Execution& e, bool with_document, std::int64_t now) const {
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
            out["jobDocument"] =
                job != jobs.end() ? job_document(job->second, now) : json::object();
        }
        return out;
    }

    json control_execution_json(const Execution& e, std::int64_t now) const {
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

    json control_summary_json(const Execution& e) const {
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

    // ---- notifications (spec §2.7) ------------------------------------------------------------
    void notify_changes(const std::string& thing, const std::vector<PendingKey>& before,
                        std::int64_t now, Messages& out) {
        const auto after_list = pending(thing);
        std::vector<PendingKey> after;
        for (const Execution* e : after_list) {
            after.emplace_back(e->job_id, e->execution_number);
        }
        const std::set<PendingKey> before_set(before.begin(), before.end());
        const std::set<PendingKey> after_set(after.begin(), after.end());
        const std::string prefix = "$aws/things/" + thing + "/jobs/";
        if (before_set != after_set) {
            json groups = json::object();
            for (std::size_t i = 0; i < after_list.size() && i < max_pending_listed; ++i) {
                groups[after_list[i]->status].push_back(summary_json(*after_list[i]));
            }
            out.push_back({"", prefix + "notify",
                           json{{"timestamp", now}, {"jobs", groups}}.dump(
                               -1, ' ', false, json::error_handler_t::replace)});
        }
        const std::optional<PendingKey> head_before =
            before.empty() ? std::nullopt : std::optional<PendingKey>(before.front());
        const std::optional<PendingKey> head_after =
            after.empty() ? std::nullopt : std::optional<PendingKey>(after.front());
        if (head_before != head_after) {
            json body{{"timestamp", now}};
            if (!after_list.empty()) {
                body["execution"] = execution_json(*after_list.front(), true, now);
            }
            out.push_back({"", prefix + "notify-next",
                           body.dump(-1, ' ', false, json::error_handler_t::replace)});
        }
    }

    // ---- execution state changes ---------------------------------------------------------------
    void start_timers(Execution& e, std::int64_t now) {
        auto job = jobs.find(e.job_id);
        if (job != jobs.end() && job->second.timeout_config.is_object() &&
            job->second.timeout_config.contains("inProgressTimeoutInMinutes")) {
            e.in_progress_deadline =
                now +
                60 * job->second.timeout_config["inProgressTimeoutInMinutes"].get<std::int64_t>();
        }
    }
    void set_step_timer(Execution& e, std::int64_t minutes, std::int64_t now) {
        if (minutes < 0) {
            e.step_deadline = 0;
            return;
        }
        e.step_deadline = now + minutes * 60;
        if (e.in_progress_deadline != 0 && e.step_deadline > e.in_progress_deadline) {
            e.step_deadline = e.in_progress_deadline;
        }
    }

    Execution& queue_execution(const std::string& thing, Job& job, std::int64_t number,
                               std::int64_t retry_attempt, std::int64_t now) {
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
    void after_terminal(Execution& e, std::int64_t now, std::set<std::string>& touched) {
        e.in_progress_deadline = 0;
        e.step_deadline = 0;
        auto job_it = jobs.find(e.job_id);
        if (job_it == jobs.end()) {
            return;
        }
        Job& job = job_it->second;
        if ((e.status == "FAILED" || e.status == "TIMED_OUT") && job.status == "IN_PROGRESS" &&
            job.retry_config.is_object()) {
            std::int64_t allowed = 0;
            for (const auto& criterion : job.retry_config.value("criteriaList", json::array())) {
                const std::string type = criterion.value("failureType", "");
                if (type == e.status || type == "ALL") {
                    allowed = std::max(
                        allowed, criterion.value("numberOfRetries", static_cast<std::int64_t>(0)));
                }
            }
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

    void check_completion(Job& job, std::int64_t now) {
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

    void check_abort(Job& job, std::int64_t now, std::set<std::string>& touched) {
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
        for (const auto& criterion : job.abort_config.value("criteriaList", json::array())) {
            const std::string type = criterion.value("failureType", "");
            const std::int64_t failures =
                type == "ALL" ? by_status["FAILED"] + by_status["REJECTED"] + by_status["TIMED_OUT"]
                              : by_status[type];
            const auto min_executed =
                criterion.value("minNumberOfExecutedThings", static_cast<std::int64_t>(1));
            const double threshold = criterion.value("thresholdPercentage", 100.0);
            if (executed >= min_executed && executed > 0 &&
                100.0 * static_cast<double>(failures) / static_cast<double>(executed) >=
                    threshold) {
                // An abort cancels only QUEUED executions (spec §4.3).
                cancel_job_executions(job, false, now, touched);
                job.status = "CANCELED";
                job.reason_code = "ABORTED_BY_ABORT_CONFIG";
                job.comment = "Job aborted: " + type + " executions reached " +
                              std::to_string(threshold) + "%";
                job.last_updated_at = now;
                save(job);
                return;
            }
        }
    }

    void cancel_job_executions(Job& job, bool force, std::int64_t now,
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

    // ---- rollout (spec §4.2) -------------------------------------------------------------------
    std::int64_t rollout_rate(const Job& job) {
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

    void release_rollout(Job& job, std::int64_t now, std::set<std::string>& touched) {
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

    json job_process_details(const Job& job) const {
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

    json job_json(const Job& job) const {
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
};

// ================================================================================================

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

// ---- device MQTT API ----------------------------------------------------------------------------

Messages JobsService::handle_request(std::string_view client_id, std::string_view topic,
                                     std::string_view payload, std::int64_t now) {
    State& s = *state_;
    Messages out;
    const auto parsed = parse_jobs_topic(topic);
    if (!parsed) {
        return out;
    }
    const std::string requester(client_id);
    const std::string request_topic(topic);
    std::optional<std::string> client_token;

    auto accepted = [&](json body) {
        body["timestamp"] = now;
        if (client_token) {
            body["clientToken"] = *client_token;
        }
        out.insert(out.begin(), {requester, request_topic + "/accepted",
                                 body.dump(-1, ' ', false, json::error_handler_t::replace)});
    };
    auto rejected = [&](const std::string& code, const std::string& message,
                        const Execution* state_of) {
        json body{{"code", code}, {"message", message}, {"timestamp", now}};
        if (client_token) {
            body["clientToken"] = *client_token;
        }
        if (state_of != nullptr) {
            body["executionState"] = execution_state_json(*state_of);
        }
        out.insert(out.begin(), {requester, request_topic + "/rejected",
                                 body.dump(-1, ' ', false, json::error_handler_t::replace)});
    };

    if (parsed->operation == JobsOperation::reply) {
        return out; // AWS publishes these; a device cannot (the plugin refuses them earlier)
    }
    if (parsed->operation == JobsOperation::invalid || !is_valid_thing_name(parsed->thing_name)) {
        rejected("InvalidTopic", "Topic " + request_topic + " does not map to any AWS IoT Jobs API",
                 nullptr);
        return out;
    }

    // Payload: empty means {} (spec §2.3); otherwise a JSON object.
    json request = json::object();
    if (!payload.empty()) {
        auto input = parse_json_input(payload);
        if (input.status != JsonInputStatus::ok) {
            rejected("InvalidJson", "Request payload is not valid UTF-8 JSON", nullptr);
            return out;
        }
        if (!input.value.is_object()) {
            rejected("InvalidJson", "Request payload must be a JSON object", nullptr);
            return out;
        }
        request = std::move(input.value);
    }
    if (request.contains("clientToken")) {
        const json& token = request["clientToken"];
        if (!token.is_string()) {
            rejected("InvalidRequest", "clientToken must be a string", nullptr);
            return out;
        }
        client_token = token.get<std::string>();
        if (client_token->size() > max_client_token) {
            client_token.reset();
            rejected("InvalidRequest", "clientToken must be at most 64 characters", nullptr);
            return out;
        }
    }
    const std::string thing(parsed->thing_name);
    const std::string job_id(parsed->job_id);

    auto read_bool = [&](const char* name, bool fallback) -> std::optional<bool> {
        if (!request.contains(name)) {
            return fallback;
        }
        if (!request[name].is_boolean()) {
            return std::nullopt;
        }
        return request[name].get<bool>();
    };
    // stepTimeoutInMinutes: 1..10080, and -1 (cancel the step timer) where `allow_cancel`.
    std::optional<std::int64_t> step_minutes;
    auto read_step = [&](bool allow_cancel) -> bool {
        if (!request.contains("stepTimeoutInMinutes")) {
            return true;
        }
        auto value = as_integer(request["stepTimeoutInMinutes"]);
        if (!value ||
            ((*value < 1 || *value > max_step_minutes) && !(allow_cancel && *value == -1))) {
            rejected("InvalidRequest",
                     "stepTimeoutInMinutes must be an integer from 1 to 10080" +
                         std::string(allow_cancel ? ", or -1" : ""),
                     nullptr);
            return false;
        }
        step_minutes = *value;
        return true;
    };
    std::optional<json> new_details;
    auto read_details = [&]() -> bool {
        if (!request.contains("statusDetails") || request["statusDetails"].is_null()) {
            return true; // omitted or null: the stored map is unchanged (README, Q4)
        }
        if (auto problem = check_status_details(request["statusDetails"], 10000)) {
            rejected("InvalidRequest", *problem, nullptr);
            return false;
        }
        new_details = request["statusDetails"];
        return true;
    };

    switch (parsed->operation) {
    case JobsOperation::get_pending: {
        json in_progress = json::array();
        json queued = json::array();
        const auto list = s.pending(thing);
        for (std::size_t i = 0; i < list.size() && i < max_pending_listed; ++i) {
            (list[i]->status == "IN_PROGRESS" ? in_progress : queued)
                .push_back(summary_json(*list[i]));
        }
        accepted(json{{"inProgressJobs", in_progress}, {"queuedJobs", queued}});
        return out;
    }
    case JobsOperation::start_next: {
        if (!read_details() || !read_step(false)) {
            return out;
        }
        const auto before = s.pending_keys(thing);
        const auto list = s.pending(thing);
        if (list.empty()) {
            accepted(json::object());
            return out;
        }
        KvTransaction transaction(s.store);
        Execution& e = *list.front();
        if (e.status == "QUEUED") {
            e.status = "IN_PROGRESS";
            e.started_at = now;
            e.last_updated_at = now;
            e.version += 1;
            if (new_details) {
                e.status_details = *new_details;
            }
            s.start_timers(e, now);
        }
        if (step_minutes) {
            s.set_step_timer(e, *step_minutes, now);
        }
        s.save(e);
        json body{{"execution", s.execution_json(e, true, now)}};
        Messages notes;
        s.notify_changes(thing, before, now, notes);
        accepted(body);
        out.insert(out.end(), notes.begin(), notes.end());
        return out;
    }
    case JobsOperation::describe: {
        const auto include_document = read_bool("includeJobDocument", true);
        if (!include_document) {
            rejected("InvalidRequest", "includeJobDocument must be a boolean", nullptr);
            return out;
        }
        std::optional<std::int64_t> number;
        if (request.contains("executionNumber")) {
            number = as_integer(request["executionNumber"]);
            if (!number) {
                rejected("InvalidRequest", "executionNumber must be an integer", nullptr);
                return out;
            }
        }
        if (job_id == "$next") {
            const auto list = s.pending(thing);
            if (list.empty()) {
                accepted(json::object());
            } else {
                accepted(
                    json{{"execution", s.execution_json(*list.front(), *include_document, now)}});
            }
            return out;
        }
        const Execution* e = s.find(thing, job_id, number);
        if (e == nullptr) {
            rejected("ResourceNotFound",
                     "Job execution " + job_id + " of thing " + thing + " does not exist", nullptr);
            return out;
        }
        accepted(json{{"execution", s.execution_json(*e, *include_document, now)}});
        return out;
    }
    case JobsOperation::update:
        break;
    default:
        return out;
    }

    // ---- UpdateJobExecution ----
    const auto include_state = read_bool("includeJobExecutionState", false);
    const auto include_document = read_bool("includeJobDocument", false);
    if (!include_state || !include_document) {
        rejected("InvalidRequest",
                 "includeJobExecutionState and includeJobDocument must be booleans", nullptr);
        return out;
    }
    if (!read_details() || !read_step(true)) {
        return out;
    }
    std::optional<std::int64_t> expected_version;
    if (request.contains("expectedVersion")) {
        expected_version = as_version(request["expectedVersion"]);
        if (!expected_version) {
            rejected("InvalidRequest", "expectedVersion must be a number or a string of digits",
                     nullptr);
            return out;
        }
    }
    std::optional<std::int64_t> number;
    if (request.contains("executionNumber")) {
        number = as_integer(request["executionNumber"]);
        if (!number) {
            rejected("InvalidRequest", "executionNumber must be an integer", nullptr);
            return out;
        }
    }
    if (!request.contains("status") || !request["status"].is_string()) {
        rejected("InvalidRequest", "status is required and must be a string", nullptr);
        return out;
    }
    const std::string status = request["status"].get<std::string>();
    const bool device_status = status == "IN_PROGRESS" || status == "SUCCEEDED" ||
                               status == "FAILED" || status == "REJECTED";
    if (!device_status && status != "QUEUED") {
        rejected("InvalidRequest", "status must be one of IN_PROGRESS, SUCCEEDED, FAILED, REJECTED",
                 nullptr);
        return out;
    }
    Execution* e = s.find(thing, job_id, number);
    if (e == nullptr) {
        rejected("ResourceNotFound",
                 "Job execution " + job_id + " of thing " + thing + " does not exist", nullptr);
        return out;
    }
    if (auto knob = s.reject_next_update.find(thing); knob != s.reject_next_update.end()) {
        const std::string code = knob->second;
        s.reject_next_update.erase(knob);
        const bool with_state = code == "InvalidStateTransition" || code == "VersionMismatch";
        rejected(code, "Rejected by a fault knob", with_state ? e : nullptr);
        return out;
    }
    if (is_terminal(e->status) || status == "QUEUED") {
        rejected("InvalidStateTransition",
                 "Cannot update job execution from " + e->status + " to " + status, e);
        return out;
    }
    if (expected_version && *expected_version != e->version) {
        rejected("VersionMismatch",
                 "expectedVersion " + std::to_string(*expected_version) +
                     " does not match the current version " + std::to_string(e->version),
                 e);
        return out;
    }

    KvTransaction transaction(s.store);
    State::Snapshot before;
    before[thing] = s.pending_keys(thing);
    if (is_terminal(status)) {
        s.snapshot_job(job_id, before);
    }
    if (e->status == "QUEUED" && status == "IN_PROGRESS") {
        e->started_at = now;
        s.start_timers(*e, now);
    }
    e->status = status;
    e->version += 1;
    e->last_updated_at = now;
    if (new_details) {
        e->status_details = *new_details;
    }
    if (step_minutes && !is_terminal(status)) {
        s.set_step_timer(*e, *step_minutes, now);
    }
    json body = json::object();
    if (*include_state) {
        body["executionState"] = execution_state_json(*e);
    }
    if (*include_document) {
        auto job = s.jobs.find(job_id);
        body["jobDocument"] =
            job != s.jobs.end() ? s.job_document(job->second, now) : json::object();
    }
    s.save(*e);
    std::set<std::string> touched{thing};
    if (is_terminal(status)) {
        s.after_terminal(*e, now, touched); // may append to the list: `e` is invalid after this
    }
    accepted(body);
    s.notify_all(touched, before, now, out);
    return out;
}

// ---- timers and rollout ---------------------------------------------------------------------

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

ControlResult JobsService::list_things(const ListQuery& query) const {
    const State& s = *state_;
    std::vector<const Thing*> all;
    for (const auto& [name, thing] : s.things) {
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

std::optional<std::string> check_job_configs(const json& body) {
    if (body.contains("presignedUrlConfig")) {
        const json& c = body["presignedUrlConfig"];
        if (!c.is_object()) {
            return "presignedUrlConfig must be an object";
        }
        if (auto e = check_int_field(c, "expiresInSec", 60, 3600, false)) {
            return "presignedUrlConfig." + *e;
        }
    }
    if (body.contains("timeoutConfig")) {
        const json& c = body["timeoutConfig"];
        if (!c.is_object()) {
            return "timeoutConfig must be an object";
        }
        if (auto e = check_int_field(c, "inProgressTimeoutInMinutes", 1, 10080, false)) {
            return "timeoutConfig." + *e;
        }
    }
    if (body.contains("jobExecutionsRolloutConfig")) {
        const json& c = body["jobExecutionsRolloutConfig"];
        if (!c.is_object()) {
            return "jobExecutionsRolloutConfig must be an object";
        }
        if (auto e = check_int_field(c, "maximumPerMinute", 1, 1000, false)) {
            return "jobExecutionsRolloutConfig." + *e;
        }
        if (c.contains("exponentialRate")) {
            const json& x = c["exponentialRate"];
            if (!x.is_object()) {
                return "exponentialRate must be an object";
            }
            if (auto e = check_int_field(x, "baseRatePerMinute", 1, 1000, true)) {
                return "exponentialRate." + *e;
            }
            if (!x.contains("incrementFactor") || !x["incrementFactor"].is_number() ||
                x["incrementFactor"].get<double>() < 1.1 ||
                x["incrementFactor"].get<double>() > 5.0) {
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
            if (auto e = check_int_field(
                    r, notified ? "numberOfNotifiedThings" : "numberOfSucceededThings", 1,
                    std::numeric_limits<std::int32_t>::max(), true)) {
                return "rateIncreaseCriteria." + *e;
            }
        }
    }
    if (body.contains("abortConfig")) {
        const json& c = body["abortConfig"];
        if (!c.is_object() || !c.contains("criteriaList") || !c["criteriaList"].is_array() ||
            c["criteriaList"].empty()) {
            return "abortConfig.criteriaList must be a non-empty list";
        }
        for (const json& item : c["criteriaList"]) {
            if (!item.is_object()) {
                return "abortConfig.criteriaList entries must be objects";
            }
            const std::string type = item.contains("failureType") && item["failureType"].is_string()
                                         ? item["failureType"].get<std::string>()
                                         : "";
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
    }
    if (body.contains("jobExecutionsRetryConfig")) {
        const json& c = body["jobExecutionsRetryConfig"];
        if (!c.is_object() || !c.contains("criteriaList") || !c["criteriaList"].is_array() ||
            c["criteriaList"].empty() || c["criteriaList"].size() > 2) {
            return "jobExecutionsRetryConfig.criteriaList must have 1 or 2 entries";
        }
        for (const json& item : c["criteriaList"]) {
            if (!item.is_object()) {
                return "jobExecutionsRetryConfig.criteriaList entries must be objects";
            }
            const std::string type = item.contains("failureType") && item["failureType"].is_string()
                                         ? item["failureType"].get<std::string>()
                                         : "";
            if (type != "FAILED" && type != "TIMED_OUT" && type != "ALL") {
                return "jobExecutionsRetryConfig failureType must be FAILED, TIMED_OUT or ALL";
            }
            if (auto e = check_int_field(item, "numberOfRetries", 0, 10, true)) {
                return "jobExecutionsRetryConfig." + *e;
            }
        }
    }
    return std::nullopt;
}

} // namespace

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
    if (body.contains("documentSource")) {
        return invalid_request("documentSource is not supported by the local cloud; pass "
                               "the document inline");
    }
    if (!body.contains("document") || !body["document"].is_string()) {
        return invalid_request("document is required and must be a string");
    }
    const std::string document = body["document"].get<std::string>();
    if (document.size() > max_job_document) {
        return invalid_request("document must be at most 32768 characters");
    }
    const auto parsed_document = parse_json_input(document);
    if (parsed_document.status != JsonInputStatus::ok || !parsed_document.value.is_object()) {
        return invalid_request("document must be a UTF-8 JSON object");
    }
    if (!body.contains("targets") || !body["targets"].is_array() || body["targets"].empty()) {
        return invalid_request("targets must be a non-empty list of thing ARNs");
    }
    std::vector<std::string> targets;
    std::vector<std::string> target_things;
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
        if (s.things.count(name) == 0) {
            return not_found("Thing " + name + " cannot be found");
        }
        targets.push_back(arn);
        if (std::find(target_things.begin(), target_things.end(), name) == target_things.end()) {
            target_things.push_back(name);
        }
    }
    std::string selection = "SNAPSHOT";
    if (body.contains("targetSelection")) {
        if (body["targetSelection"] != "SNAPSHOT" && body["targetSelection"] != "CONTINUOUS") {
            return invalid_request("targetSelection must be SNAPSHOT or CONTINUOUS");
        }
        selection = body["targetSelection"].get<std::string>();
    }
    std::string description;
    if (body.contains("description")) {
        if (!body["description"].is_string() ||
            body["description"].get_ref<const std::string&>().size() > 2028) {
            return invalid_request("description must be a string of at most 2028 characters");
        }
        description = body["description"].get<std::string>();
    }
    if (auto problem = check_job_configs(body)) {
        return invalid_request(*problem);
    }

    KvTransaction transaction(s.store);
    Job job;
    job.job_id = job_id;
    job.document = document;
    job.description = description;
    job.targets = targets;
    job.target_things = target_things;
    job.target_selection = selection;
    job.created_at = now;
    job.last_updated_at = now;
    job.sequence = s.next_sequence();
    job.presigned_url_config = body.value("presignedUrlConfig", json());
    job.rollout_config = body.value("jobExecutionsRolloutConfig", json());
    job.abort_config = body.value("abortConfig", json());
    job.timeout_config = body.value("timeoutConfig", json());
    job.retry_config = body.value("jobExecutionsRetryConfig", json());
    job.pending_rollout = target_things;
    job.rollout_window_start = now;
    Job& stored = s.jobs[job_id] = job;

    std::map<std::string, std::vector<PendingKey>> before;
    for (const auto& thing : target_things) {
        before[thing] = s.pending_keys(thing);
    }
    std::set<std::string> touched;
    s.release_rollout(stored, now, touched);
    s.save(stored);
    Messages messages;
    for (const auto& thing : touched) {
        s.notify_changes(thing, before[thing], now, messages);
    }
    json response{{"jobArn", s.job_arn(job_id)}, {"jobId", job_id}};
    if (!description.empty()) {
        response["description"] = description;
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
