// From log entries and execution records to things, gaps and jobs (field_model.hpp).
#include "field_model.hpp"

#include "timestamps.hpp"

#include <algorithm>
#include <set>

namespace fota::sim::importer::detail {
namespace {

constexpr std::uint64_t kDefaultImageSize = 200ULL * 1024;
// The nRF9160 layout's slot (1 MiB flash: MCUboot 48 KiB, settings 32 KiB, two slots) with room
// for the image's header and trailer.
constexpr std::uint64_t kMaxImageSize = 448ULL * 1024;

bool is_thing_name(const std::string& name) {
    return !name.empty() && name.size() <= 128 && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '_' || c == ':';
    });
}

bool is_job_id(const std::string& id) {
    return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '_';
    });
}

std::vector<std::string> split(const std::string& text, char separator) {
    std::vector<std::string> parts;
    std::size_t at = 0;
    while (true) {
        const auto end = text.find(separator, at);
        parts.push_back(text.substr(at, end - at));
        if (end == std::string::npos) {
            return parts;
        }
        at = end + 1;
    }
}

// "$aws/things/<thing>/..." -> thing; empty otherwise.
std::string thing_of_topic(const std::string& topic) {
    constexpr std::string_view kPrefix = "$aws/things/";
    if (topic.rfind(kPrefix, 0) != 0) {
        return {};
    }
    const auto end = topic.find('/', kPrefix.size());
    return topic.substr(kPrefix.size(), end == std::string::npos ? end : end - kPrefix.size());
}

// The job a Jobs topic is about: "$aws/things/T/jobs/<id>/get|update[/...]"; empty for the
// topics of no one job (notify, notify-next, get, start-next, $next/...).
std::string job_of_topic(const std::string& topic, bool& is_update) {
    is_update = false;
    const auto parts = split(topic, '/');
    if (parts.size() < 6 || parts[0] != "$aws" || parts[1] != "things" || parts[3] != "jobs") {
        return {};
    }
    const std::string& id = parts[4];
    const std::string& operation = parts[5];
    if (id == "$next" || (operation != "get" && operation != "update")) {
        return {};
    }
    if ((id == "get" || id == "start-next") &&
        (operation == "accepted" || operation == "rejected")) {
        return {};
    }
    is_update = operation == "update" && parts.size() == 6;
    return id;
}

std::string where(const std::string& file, int line) {
    return line > 0 ? file + ":" + std::to_string(line) : file;
}

// A group prefix per thing that no other prefix starts (the scenario format's rule), and that no
// other thing's name starts (so the later things always find one): <thing>- when it can be.
void choose_prefixes(std::vector<ThingModel>& things) {
    std::vector<std::string> chosen;
    const auto usable = [&](const std::string& candidate, const ThingModel& self) {
        const bool clashes = std::any_of(chosen.begin(), chosen.end(), [&](const auto& other) {
            return other.rfind(candidate, 0) == 0 || candidate.rfind(other, 0) == 0;
        });
        const bool starts_a_name = std::any_of(things.begin(), things.end(), [&](const auto& t) {
            return &t != &self && t.name.rfind(candidate, 0) == 0;
        });
        return !clashes && !starts_a_name;
    };
    for (std::size_t i = 0; i < things.size(); ++i) {
        ThingModel& thing = things[i];
        const std::string base = thing.name.substr(0, 90);
        std::string prefix;
        for (const char* separator : {"-", "_", ":"}) {
            if (prefix.empty() && usable(base + separator, thing)) {
                prefix = base + separator;
            }
        }
        // Every separator starts another thing's name: a neutral prefix, made unique.
        for (std::string neutral = "field-thing-" + std::to_string(i) + "-"; prefix.empty();
             neutral.insert(0, "x")) {
            if (usable(neutral, thing)) {
                prefix = neutral;
            }
        }
        chosen.push_back(prefix);
        thing.prefix = prefix;
        thing.sim_thing = prefix + "0";
    }
}

} // namespace

bool is_image_version(const std::string& text) {
    const auto parts = split(text.substr(0, text.find('+')), '.');
    if (parts.size() != 3) {
        return false;
    }
    const std::uint64_t limits[3] = {255, 255, 65535};
    for (std::size_t i = 0; i < 3; ++i) {
        const std::string& part = parts[i];
        if (part.empty() || part.size() > 5 || (part.size() > 1 && part[0] == '0') ||
            !std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
            std::stoull(part) > limits[i]) {
            return false;
        }
    }
    if (const auto plus = text.find('+'); plus != std::string::npos) {
        const std::string build = text.substr(plus + 1);
        return !build.empty() && build.size() <= 10 && (build.size() == 1 || build[0] != '0') &&
               std::all_of(build.begin(), build.end(),
                           [](char c) { return c >= '0' && c <= '9'; }) &&
               std::stoull(build) <= 4294967295ULL;
    }
    return true;
}

namespace {

class ModelBuilder {
public:
    ModelBuilder(const FieldRecord& record, const std::string& only)
        : record_(record), only_(only) {}

    FieldModel build() {
        find_things();
        if (!model_.error.empty()) {
            return std::move(model_);
        }
        read_events();
        if (!read_executions()) {
            return std::move(model_);
        }
        if (things_.empty() && jobs_.empty()) {
            model_.error = "nothing to import: no thing (no client used its own "
                           "$aws/things/<clientId>/... topics, and no execution names one) and no "
                           "job (no $aws/things/<thing>/jobs/<jobId>/... topic, Jobs entry or "
                           "execution)" +
                           entries_summary();
            return std::move(model_);
        }
        if (things_.empty()) {
            model_.error = "no thing to simulate: jobs were seen but no client used its own "
                           "$aws/things/<clientId>/... topics and no execution names its thing; "
                           "pass --thing NAME with list-job-executions-for-thing output";
            return std::move(model_);
        }
        if (jobs_.empty()) {
            model_.error = "no job to reproduce: thing(s) " + names(things_) +
                           " but no $aws/things/<thing>/jobs/<jobId>/... topic, Jobs entry with a "
                           "jobId, or execution history (pass --executions FILE)";
            return std::move(model_);
        }
        finish();
        return std::move(model_);
    }

private:
    template <typename Map>
    static std::string names(const Map& map) {
        std::string text;
        for (const auto& [name, unused] : map) {
            text += (text.empty() ? "" : ", ") + name;
        }
        return text;
    }

    std::string seen_things() const {
        return things_.empty() ? " (no thing was seen)" : "; things seen: " + names(things_);
    }

    std::string entries_summary() const {
        return " (" + std::to_string(record_.entries) + " log entries, " +
               std::to_string(record_.executions.size()) + " executions read)";
    }

    bool selected(const std::string& thing) const { return only_.empty() || thing == only_; }

    // A client is a thing when it uses its own reserved topics, or a Jobs entry names it so.
    void find_things() {
        std::set<std::string> invalid;
        for (const LogEvent& event : record_.events) {
            std::string thing = thing_of_topic(event.topic);
            if (thing.empty() || thing != event.client_id) {
                thing = !event.thing_name.empty() &&
                                (event.client_id.empty() || event.client_id == event.thing_name)
                            ? event.thing_name
                            : std::string();
            }
            if (thing.empty()) {
                continue;
            }
            if (!is_thing_name(thing)) {
                invalid.insert(thing.substr(0, 80));
                continue;
            }
            things_[thing];
        }
        for (const ExecutionRecord& execution : record_.executions) {
            if (is_thing_name(execution.thing)) {
                things_[execution.thing];
            }
        }
        for (const auto& name : invalid) {
            model_.notes.push_back("ignored client " + name +
                                   ": not a valid thing name ([a-zA-Z0-9:_-], 1 to 128)");
        }
        if (!only_.empty()) {
            if (things_.count(only_) == 0) {
                model_.error = "thing " + only_ + " is not in the inputs" + seen_things();
            }
            std::erase_if(things_, [&](const auto& entry) { return entry.first != only_; });
        }
    }

    JobModel* job(const std::string& id) {
        if (!is_job_id(id)) {
            invalid_jobs_.insert(id.substr(0, 80));
            return nullptr;
        }
        return &jobs_[id];
    }

    void read_events() {
        std::set<std::string> other_clients;
        std::vector<const LogEvent*> events;
        for (const LogEvent& event : record_.events) {
            events.push_back(&event);
        }
        std::stable_sort(events.begin(), events.end(), [](const LogEvent* a, const LogEvent* b) {
            return a->time_ms < b->time_ms;
        });
        for (const LogEvent* event : events) {
            const std::string thing_name =
                !event->client_id.empty() ? event->client_id : event->thing_name;
            const auto found = things_.find(thing_name);
            if (found == things_.end()) {
                if (!event->client_id.empty() && only_.empty()) {
                    other_clients.insert(event->client_id.substr(0, 80));
                }
                continue;
            }
            read_event(*event, found->second, found->first);
        }
        if (!other_clients.empty()) {
            std::string list;
            for (const auto& client : other_clients) {
                list += (list.empty() ? "" : ", ") + client;
            }
            model_.notes.push_back("ignored the entries of clients that are no thing (they use no "
                                   "$aws/things/<clientId>/ topic): " +
                                   list);
        }
    }

    void read_event(const LogEvent& event, ThingModel& thing, const std::string& name) {
        ++thing.entries;
        const bool success = event.status != "Failure";
        if (event.event_type == "Connect" && success) {
            thing.connects.push_back(event.time_ms);
            if (!thing.gaps.empty() && !thing.gaps.back().reconnect_ms) {
                thing.gaps.back().reconnect_ms = event.time_ms;
            }
        } else if (event.event_type == "Disconnect") {
            if (thing.connects.empty()) {
                model_.notes.push_back(where(event.file, event.line) + ": a Disconnect of " + name +
                                       " before its first Connect in the log is not reproduced");
            } else if (event.disconnect_reason == "DUPLICATE_CLIENT_ID") {
                model_.notes.push_back(where(event.file, event.line) + ": a Disconnect of " + name +
                                       " for DUPLICATE_CLIENT_ID (the device had already "
                                       "reconnected) is not reproduced");
            } else if (thing.gaps.empty() || thing.gaps.back().reconnect_ms) {
                thing.gaps.push_back(Gap{event.time_ms, std::nullopt, event.disconnect_reason,
                                         where(event.file, event.line)});
            }
        }
        bool is_update = false;
        std::string id = job_of_topic(event.topic, is_update);
        if (id.empty() && event.job_id != "$next") {
            id = event.job_id;
        }
        if (id.empty()) {
            return;
        }
        JobModel* model = job(id);
        if (model == nullptr) {
            return;
        }
        if (!model->first_seen_ms) {
            model->first_seen_ms = event.time_ms;
            model->first_seen_where = where(event.file, event.line);
        }
        if (std::find(model->things.begin(), model->things.end(), name) == model->things.end()) {
            model->things.push_back(name);
        }
        if (is_update && event.event_type == "Publish-In") {
            thing.updates[id].push_back(event.time_ms);
        }
    }

    // The latest record of each (thing, job); a describe-job-execution wins a tie.
    bool read_executions() {
        for (const ExecutionRecord& execution : record_.executions) {
            ExecutionRecord copy = execution;
            if (copy.thing.empty()) {
                if (things_.size() != 1) {
                    model_.error = where(execution.file, execution.line) +
                                   ": the execution of job " + execution.job_id +
                                   " does not name its thing (list-job-executions-for-thing "
                                   "output); pass --thing NAME" +
                                   seen_things();
                    return false;
                }
                copy.thing = things_.begin()->first;
            }
            if (!selected(copy.thing) || things_.count(copy.thing) == 0) {
                continue;
            }
            JobModel* model = job(copy.job_id);
            if (model == nullptr) {
                continue;
            }
            if (std::find(model->things.begin(), model->things.end(), copy.thing) ==
                model->things.end()) {
                model->things.push_back(copy.thing);
            }
            if (copy.queued_at_ms &&
                (!model->queued_at_ms || *copy.queued_at_ms < *model->queued_at_ms)) {
                model->queued_at_ms = copy.queued_at_ms;
            }
            if (copy.job_document && !model->document) {
                model->document = copy.job_document;
            }
            auto [entry, inserted] = model->final_status.try_emplace(copy.thing, copy);
            // By whole seconds: iot-jobs-data prints epoch seconds, CLI v2 milliseconds.
            const auto later = [](const ExecutionRecord& a, const ExecutionRecord& b) {
                const auto a_time = a.last_updated_at_ms.value_or(-1000) / 1000;
                const auto b_time = b.last_updated_at_ms.value_or(-1000) / 1000;
                return a_time != b_time ? a_time > b_time : a.from_describe && !b.from_describe;
            };
            if (!inserted && !later(entry->second, copy)) {
                entry->second = copy;
            }
        }
        return true;
    }

    void finish();
    void choose_firmware(JobModel& job, std::size_t index, std::set<std::string>& versions);

    const FieldRecord& record_;
    const std::string& only_;
    std::map<std::string, ThingModel> things_;
    std::map<std::string, JobModel> jobs_;
    std::set<std::string> invalid_jobs_;
    FieldModel model_;
};

void ModelBuilder::choose_firmware(JobModel& job, std::size_t index,
                                   std::set<std::string>& versions) {
    job.firmware_id = "v" + std::to_string(index + 2);
    job.version = std::to_string(index + 2) + ".0.0";
    job.image_size = kDefaultImageSize;
    job.version_source = "placeholder";
    if (!job.document) {
        return;
    }
    const nlohmann::json& document = *job.document;
    if (const auto it = document.find("fwversion"); it != document.end() && it->is_string()) {
        std::string version = it->get<std::string>();
        if (!version.empty() && (version[0] == 'v' || version[0] == 'V')) {
            version.erase(0, 1);
        }
        if (is_image_version(version) && versions.count(version) == 0) {
            job.version = version;
            job.version_source = "the job document's fwversion";
        }
    }
    if (const auto it = document.find("size"); it != document.end() && it->is_number_unsigned()) {
        const auto size = it->get<std::uint64_t>();
        if (size >= 512 && size <= kMaxImageSize) {
            job.image_size = size;
            job.version_source +=
                job.version_source == "placeholder" ? "; size from the document" : " and size";
        } else {
            model_.notes.push_back("job " + job.id + ": the document's size " +
                                   std::to_string(size) +
                                   " does not fit a simulated nRF9160 slot; the image is 200KiB");
        }
    }
    versions.insert(job.version);
}

void ModelBuilder::finish() {
    for (auto& [name, thing] : things_) {
        thing.name = name;
        if (!thing.connects.empty() &&
            (!model_.has_origin || thing.connects.front() < model_.origin_ms)) {
            model_.origin_ms = thing.connects.front();
            model_.has_origin = true;
        }
        for (const Gap& gap : thing.gaps) {
            if (!gap.reconnect_ms) {
                model_.notes.push_back(gap.where + ": " + name +
                                       " disconnected and the log shows no later Connect: not "
                                       "reproduced (the run ends connected)");
            }
        }
        model_.things.push_back(std::move(thing));
    }
    choose_prefixes(model_.things);
    for (auto& [id, job] : jobs_) {
        job.id = id;
        std::sort(job.things.begin(), job.things.end());
        model_.jobs.push_back(std::move(job));
    }
    const auto first_time = [](const JobModel& job) {
        return std::min(job.first_seen_ms.value_or(INT64_MAX),
                        job.queued_at_ms.value_or(INT64_MAX));
    };
    std::stable_sort(
        model_.jobs.begin(), model_.jobs.end(),
        [&](const JobModel& a, const JobModel& b) { return first_time(a) < first_time(b); });
    if (!model_.has_origin) {
        for (const auto& job : model_.jobs) {
            if (first_time(job) != INT64_MAX &&
                (!model_.has_origin || first_time(job) < model_.origin_ms)) {
                model_.origin_ms = first_time(job);
                model_.has_origin = true;
            }
        }
    }
    std::set<std::string> versions{"1.0.0"};
    for (std::size_t i = 0; i < model_.jobs.size(); ++i) {
        choose_firmware(model_.jobs[i], i, versions);
    }
    for (const auto& id : invalid_jobs_) {
        model_.notes.push_back("ignored job id " + id +
                               ": not a valid AWS job id ([a-zA-Z0-9_-], "
                               "1 to 64)");
    }
}

} // namespace

FieldModel build_model(const FieldRecord& record, const std::string& thing) {
    return ModelBuilder(record, thing).build();
}

} // namespace fota::sim::importer::detail
