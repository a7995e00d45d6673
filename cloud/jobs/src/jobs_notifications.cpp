// Each thing's list of pending executions and the notifications a change of it causes (spec
// §2.7): notify when the set of pending executions changes, notify-next when its head does.

#include <algorithm>
#include <tuple>

#include "jobs_state.hpp"

namespace fota::cloud {

using jobs_detail::Execution;
using jobs_detail::is_terminal;
using jobs_detail::max_pending_listed;
using jobs_detail::PendingKey;
using jobs_detail::summary_json;
using nlohmann::json;

// IN_PROGRESS first, then QUEUED; each by queuedAt, then creation order (spec §2.7).
std::vector<Execution*> JobsService::State::pending(const std::string& thing) {
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

std::vector<PendingKey> JobsService::State::pending_keys(const std::string& thing) {
    std::vector<PendingKey> keys;
    for (const Execution* e : pending(thing)) {
        keys.emplace_back(e->job_id, e->execution_number);
    }
    return keys;
}

// Records the pending lists of every target of `job_id` (an abort may touch them all).
void JobsService::State::snapshot_job(const std::string& job_id, Snapshot& before) {
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

void JobsService::State::notify_all(const std::set<std::string>& touched, Snapshot& before,
                                    std::int64_t now, Messages& out) {
    for (const auto& thing : touched) {
        if (before.find(thing) == before.end()) {
            before[thing] = {};
        }
        notify_changes(thing, before[thing], now, out);
    }
}

void JobsService::State::notify_changes(const std::string& thing,
                                        const std::vector<PendingKey>& before, std::int64_t now,
                                        Messages& out) {
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

} // namespace fota::cloud
