// The Jobs state's write-through to the KvStore (SQLite): every thing, job and execution is one
// JSON value, saved as it changes, so a broker restart loses nothing; load() reads them back.

#include <algorithm>
#include <string>

#include "jobs_state.hpp"

namespace fota::cloud {

using jobs_detail::Execution;
using jobs_detail::Job;
using jobs_detail::Thing;
using nlohmann::json;

namespace {

std::string execution_key(const Execution& e) {
    return e.thing + "/" + e.job_id + "/" + std::to_string(e.execution_number);
}

} // namespace

void JobsService::State::load() {
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

std::int64_t JobsService::State::next_sequence() {
    ++sequence;
    store.put("jobs.meta", "sequence", std::to_string(sequence));
    return sequence;
}

void JobsService::State::save(const Thing& t) {
    store.put("jobs.thing", t.name, json(t).dump(-1, ' ', false, json::error_handler_t::replace));
}

void JobsService::State::save(const Job& j) {
    store.put("jobs.job", j.job_id, json(j).dump(-1, ' ', false, json::error_handler_t::replace));
}

void JobsService::State::save(const Execution& e) {
    store.put("jobs.execution", execution_key(e),
              json(e).dump(-1, ' ', false, json::error_handler_t::replace));
}

void JobsService::State::erase(const Execution& e) {
    store.erase("jobs.execution", execution_key(e));
}

std::string JobsService::State::thing_arn(const std::string& name) const {
    return "arn:aws:iot:" + options.region + ":" + options.account_id + ":thing/" + name;
}

std::string JobsService::State::job_arn(const std::string& id) const {
    return "arn:aws:iot:" + options.region + ":" + options.account_id + ":job/" + id;
}

} // namespace fota::cloud
