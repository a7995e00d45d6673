// The scenario skeleton (scenarios/README.md's format) from the field model: header comment,
// firmware placeholders, one group per thing, the timeline of jobs and disconnects with the
// log's spacing, a final wait and the field's final statuses as expectations. Deterministic:
// nothing here reads a clock or iterates an unordered container.
#include "fota/sim/import.hpp"

#include "field_model.hpp"
#include "timestamps.hpp"

#include <algorithm>
#include <sstream>

namespace fota::sim::importer {

using detail::FieldModel;
using detail::format_duration;
using detail::format_time;
using detail::JobModel;
using detail::ThingModel;
using nlohmann::json;

namespace {

constexpr std::int64_t kConnectTimeoutMs = 60'000;
constexpr std::int64_t kSettleMs = 120'000;
constexpr std::int64_t kMaxDeadlineMs = 30LL * 24 * 3600 * 1000; // the format's limit
constexpr const char* kTerminal = "[SUCCEEDED, FAILED, TIMED_OUT, REJECTED, REMOVED, CANCELED]";

bool is_terminal(const std::string& status) {
    return status != "QUEUED" && status != "IN_PROGRESS";
}

// Text for a comment line: no control characters (a newline would end the comment).
std::string comment_text(const std::string& text) {
    std::string out = text;
    for (char& c : out) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
            c = '?';
        }
    }
    return out;
}

// A comment of one or more lines: "<indent># " then the text wrapped at 100 columns (a word
// longer than a line keeps its own line), continuation lines indented by two more.
std::string comment(const std::string& indent, const std::string& text) {
    constexpr std::size_t kWidth = 100;
    std::string out;
    std::string line = indent + "# ";
    const std::string continuation = indent + "#   ";
    bool line_empty = true;
    std::size_t at = 0;
    const std::string clean = comment_text(text);
    while (at < clean.size()) {
        const auto end = std::min(clean.find(' ', at), clean.size());
        const std::string word = clean.substr(at, end - at);
        at = end + 1;
        if (!line_empty && line.size() + 1 + word.size() > kWidth) {
            out += line + "\n";
            line = continuation;
            line_empty = true;
        }
        line += (line_empty ? "" : " ") + word;
        line_empty = false;
    }
    return out + line + "\n";
}

// An offset or a time span in a comment: "39.799s", "2s".
std::string seconds(std::int64_t ms) {
    std::string text = std::to_string(ms / 1000);
    if (ms % 1000 != 0) {
        std::string fraction = std::to_string(1000 + ms % 1000).substr(1);
        fraction.erase(fraction.find_last_not_of('0') + 1);
        text += "." + fraction;
    }
    return text + "s";
}

std::string quote(const std::string& text) {
    return json(text).dump(-1, ' ', true);
}

std::string round_up_seconds(std::int64_t ms) {
    return std::to_string((ms + 999) / 1000) + "s";
}

// A step of the timeline: at an offset from the origin, in a stable order.
struct TimelineItem {
    std::int64_t offset_ms = 0;
    int rank = 0; // at the same offset: a throttle, then its job, then faults
    std::size_t sequence = 0;
    std::string comment;
    std::string yaml; // the step's lines, each indented by 2 and ending in '\n'
};

// A throttle that keeps the download of a job running until a disconnect the log shows while
// the device was in the middle of that job (a jobs/<id>/update before and after it).
struct Throttle {
    std::int64_t bytes_per_second = 0;
    std::int64_t download_ms = 0;
    std::string reason;
};

class ScenarioWriter {
public:
    ScenarioWriter(const FieldModel& model, const FieldRecord& record, const ImportOptions& options)
        : model_(model), record_(record), options_(options) {}

    ImportResult write() {
        for (const JobModel& job : model_.jobs) {
            plan_job(job);
        }
        plan_gaps();
        std::stable_sort(items_.begin(), items_.end(), [](const auto& a, const auto& b) {
            return a.offset_ms != b.offset_ms ? a.offset_ms < b.offset_ms
                   : a.rank != b.rank         ? a.rank < b.rank
                                              : a.sequence < b.sequence;
        });
        std::ostringstream steps;
        const std::int64_t last_offset = write_steps(steps);
        std::ostringstream expect;
        write_expectations(expect);
        // Every step fits: the holds up to the last step, an offline time that outlasts it, the
        // final waits.
        const std::int64_t timeline = std::max(last_offset, last_offline_end_ms_);
        const std::int64_t deadline = kConnectTimeoutMs + timeline + final_waits_ms_ + 60'000;
        if (deadline > kMaxDeadlineMs) {
            result_.error = "the records span " + format_duration(timeline) +
                            ", more than a scenario's deadline of 30 days allows: keep the "
                            "entries of the failure's window (aws logs filter-log-events "
                            "--start-time --end-time)";
            return std::move(result_);
        }
        std::ostringstream out;
        write_header(out);
        out << "name: " << name() << "\n";
        out << "description: " << quote(description()) << "\n";
        out << "seed: 1\n";
        out << "deadline: " << round_up_seconds(deadline) << "\n";
        out << "stack: " << options_.stack << "\n";
        write_firmware(out);
        write_devices(out);
        out << "steps:\n" << steps.str() << "expect:\n" << expect.str();
        result_.yaml = out.str();
        result_.devices = model_.things.size();
        result_.jobs = model_.jobs.size();
        return std::move(result_);
    }

private:
    std::int64_t offset(std::int64_t time_ms) const {
        return model_.has_origin ? std::max<std::int64_t>(0, time_ms - model_.origin_ms) : 0;
    }

    std::string at(std::int64_t offset_ms) const {
        std::string text = "+" + seconds(offset_ms);
        if (model_.has_origin) {
            text += " (" + format_time(model_.origin_ms + offset_ms) + ")";
        }
        return text;
    }

    const ThingModel* thing(const std::string& name) const {
        for (const ThingModel& t : model_.things) {
            if (t.name == name) {
                return &t;
            }
        }
        return nullptr;
    }

    std::string selector(const std::vector<std::string>& field_names) const {
        if (field_names.size() == model_.things.size()) {
            return "all";
        }
        std::string text = "[";
        for (const auto& name : field_names) {
            text += (text.size() > 1 ? ", " : "") + quote(thing(name)->sim_thing);
        }
        return text + "]";
    }

    std::string name() const {
        std::string text = options_.name;
        if (text.empty()) {
            text = "imported-" + model_.things.front().name;
        }
        for (char& c : text) {
            const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
            c = ok ? c : '-';
        }
        return text.substr(0, 100);
    }

    std::string description() const {
        std::string jobs;
        for (const JobModel& job : model_.jobs) {
            jobs += (jobs.empty() ? "" : ", ") + job.id;
        }
        std::size_t gaps = 0;
        for (const ThingModel& t : model_.things) {
            gaps += t.gaps.size();
        }
        return "Imported from field records by fota-sim import: " +
               std::to_string(model_.things.size()) + " thing(s), job(s) " + jobs + ", " +
               std::to_string(gaps) +
               " disconnect(s). Reproduces the cloud side of the field failure; the expectations "
               "are what the field observed.";
    }

    std::optional<Throttle> throttle_for(const JobModel& job, std::int64_t created) const;
    void plan_job(const JobModel& job);
    void plan_gaps();
    std::int64_t write_steps(std::ostringstream& out);
    void write_expectations(std::ostringstream& out);
    void write_header(std::ostringstream& out) const;
    void write_firmware(std::ostringstream& out) const;
    void write_devices(std::ostringstream& out) const;
    std::string document_yaml(const JobModel& job, std::string& comment) const;

    const FieldModel& model_;
    const FieldRecord& record_;
    const ImportOptions& options_;
    std::vector<TimelineItem> items_;
    std::int64_t final_waits_ms_ = 0;
    std::int64_t total_offline_ms_ = 0;
    std::int64_t last_offline_end_ms_ = 0;
    std::map<std::string, std::int64_t> job_download_ms_;
    ImportResult result_;
};

std::optional<Throttle> ScenarioWriter::throttle_for(const JobModel& job,
                                                     std::int64_t created) const {
    for (const std::string& name : job.things) {
        const ThingModel* t = thing(name);
        const auto updates = t->updates.find(job.id);
        if (updates == t->updates.end()) {
            continue;
        }
        for (const auto& gap : t->gaps) {
            const auto& times = updates->second;
            const bool before = times.front() <= gap.disconnect_ms;
            const bool after = times.back() > gap.disconnect_ms;
            if (!gap.reconnect_ms || !before || !after) {
                continue;
            }
            const std::int64_t elapsed =
                std::max<std::int64_t>(1000, offset(gap.disconnect_ms) - created);
            Throttle throttle;
            throttle.download_ms = 2 * elapsed;
            throttle.bytes_per_second = std::clamp<std::int64_t>(
                static_cast<std::int64_t>((job.image_size * 1000 + throttle.download_ms - 1) /
                                          static_cast<std::uint64_t>(throttle.download_ms)),
                1, 1LL << 30);
            throttle.reason = name + " disconnected at " + at(offset(gap.disconnect_ms)) +
                              " between its updates of " + job.id;
            return throttle;
        }
    }
    return std::nullopt;
}

void ScenarioWriter::plan_job(const JobModel& job) {
    std::int64_t created = 0;
    std::string why = "no time for it in the inputs: created at once";
    if (job.queued_at_ms && (!job.first_seen_ms || *job.queued_at_ms <= *job.first_seen_ms)) {
        created = offset(*job.queued_at_ms);
        why = "queuedAt " + format_time(*job.queued_at_ms) + " in the execution history";
    } else if (job.first_seen_ms) {
        created = offset(*job.first_seen_ms);
        why = "first named in the log at " + job.first_seen_where;
    }
    if (model_.has_origin && created == 0) {
        why += "; not before the devices are connected";
    }
    if (const auto throttle = throttle_for(job, created)) {
        TimelineItem item{created, 0, items_.size(), {}, {}};
        item.comment = "throttle the image so that the download is still running at the "
                       "disconnect, as in the field (" +
                       throttle->reason + "): it takes about " + seconds(throttle->download_ms) +
                       " at this rate";
        item.yaml = "  - http_fault:\n      kind: throttle\n      firmware: " + job.firmware_id +
                    "\n      bytes_per_second: " + std::to_string(throttle->bytes_per_second) +
                    "\n";
        items_.push_back(std::move(item));
        job_download_ms_[job.id] = throttle->download_ms;
    }
    std::string document_comment;
    const std::string document = document_yaml(job, document_comment);
    TimelineItem item{created, 1, items_.size(), {}, {}};
    item.comment = "job " + job.id + " (" + why + ")";
    item.yaml = comment("  ", document_comment) + "  - create_job:\n      id: " + quote(job.id) +
                "\n      firmware: " + job.firmware_id +
                "\n      targets: " + selector(job.things) + "\n" + document;
    items_.push_back(std::move(item));
}

std::string ScenarioWriter::document_yaml(const JobModel& job, std::string& comment) const {
    if (!job.document) {
        comment = "the job document is not in the inputs (aws iot-jobs-data describe-job-execution "
                  "--include-job-document prints it): FILL IN, the host_path template stands in";
        return "      document_template: host_path\n";
    }
    json document = *job.document;
    std::vector<std::string> replaced;
    if (auto location = document.find("location");
        location != document.end() && location->is_object()) {
        const std::pair<const char*, const char*> fields[] = {{"protocol", "${firmware.protocol}"},
                                                              {"host", "${firmware.host}"},
                                                              {"path", "${firmware.path}"},
                                                              {"url", "${firmware.url}"}};
        for (const auto& [key, placeholder] : fields) {
            if (location->contains(key)) {
                (*location)[key] = placeholder;
                replaced.push_back(std::string("location.") + key);
            }
        }
    }
    if (document.contains("size") && document["size"].is_number()) {
        document["size"] = "${firmware.size}";
        replaced.push_back("size");
    }
    comment = "the job document from the execution history";
    if (!replaced.empty()) {
        std::string list;
        for (const auto& key : replaced) {
            list += (list.empty() ? "" : ", ") + key;
        }
        comment += "; " + list + " point at the simulated object store";
    }
    std::string text = document.dump(2, ' ', true);
    std::string indented;
    for (const char c : text) {
        indented += c;
        if (c == '\n') {
            indented += "      ";
        }
    }
    return "      document: " + indented + "\n";
}

void ScenarioWriter::plan_gaps() {
    for (const ThingModel& t : model_.things) {
        for (const auto& gap : t.gaps) {
            if (!gap.reconnect_ms) {
                continue;
            }
            const std::int64_t duration =
                std::max<std::int64_t>(1, *gap.reconnect_ms - gap.disconnect_ms);
            total_offline_ms_ += duration;
            last_offline_end_ms_ =
                std::max(last_offline_end_ms_, offset(gap.disconnect_ms) + duration);
            TimelineItem item{offset(gap.disconnect_ms), 2, items_.size(), {}, {}};
            item.comment = t.name + " disconnected (" + gap.where +
                           (gap.reason.empty() ? "" : ", disconnectReason " + gap.reason) +
                           ") and connected again " + seconds(duration) + " later";
            item.yaml =
                "  - network_fault:\n      kind: offline\n      devices: " + quote(t.sim_thing) +
                "\n      duration: " + format_duration(duration) + "\n";
            items_.push_back(std::move(item));
            ++result_.network_faults;
        }
    }
}

std::int64_t ScenarioWriter::write_steps(std::ostringstream& out) {
    out << comment("  ", at(0) + ": every device is connected (time 0 is " +
                             (model_.has_origin ? "the first Connect in the log"
                                                : "the start: the log has no Connect") +
                             ")");
    out << "  - wait_for:\n      condition: {device_phase: {phase: connected}}\n      timeout: "
        << format_duration(kConnectTimeoutMs) << "\n";
    std::int64_t now = 0;
    for (const TimelineItem& item : items_) {
        if (item.offset_ms > now) {
            out << "  # wait " << seconds(item.offset_ms - now)
                << ", the log's spacing (hold: a condition that stays true)\n";
            out << "  - hold:\n      condition: {device_phase: {phase: booted}}\n      for: "
                << format_duration(item.offset_ms - now) << "\n";
            now = item.offset_ms;
        }
        out << comment("  ", at(item.offset_ms) + ": " + item.comment) << item.yaml;
    }
    for (const JobModel& job : model_.jobs) {
        std::vector<std::string> ending;
        for (const auto& [name, record] : job.final_status) {
            if (is_terminal(record.status)) {
                ending.push_back(name);
            }
        }
        if (ending.empty()) {
            continue;
        }
        const auto download = job_download_ms_.find(job.id);
        const std::int64_t timeout =
            kSettleMs + total_offline_ms_ +
            (download != job_download_ms_.end() ? 2 * download->second : 0);
        final_waits_ms_ += (timeout + 999) / 1000 * 1000;
        out << comment("  ", "then until the execution(s) of " + job.id +
                                 " end, as in the field (expect checks the outcome)");
        out << "  - wait_for:\n      condition:\n        execution_status:\n          job: "
            << quote(job.id) << "\n          devices: " << selector(ending)
            << "\n          status: " << kTerminal
            << "\n      timeout: " << round_up_seconds(timeout) << "\n";
    }
    return now;
}

void ScenarioWriter::write_expectations(std::ostringstream& out) {
    for (const JobModel& job : model_.jobs) {
        for (const auto& [name, record] : job.final_status) {
            const ThingModel* t = thing(name);
            std::string observed = "observed in the field: ";
            observed += name + " " + record.status + " (";
            observed += record.from_describe ? "describe-job-execution, "
                                             : "list-job-executions-for-thing, ";
            observed += record.file + ":" + std::to_string(record.line);
            if (record.last_updated_at_ms) {
                observed += ", lastUpdatedAt " + format_time(*record.last_updated_at_ms);
            }
            out << comment("  ", observed + ")");
            if (!record.status_details.empty()) {
                out << comment("  ", "  statusDetails " + record.status_details.dump() +
                                         " (our core words its reasons differently: not checked)");
            }
            if (const auto updates = t->updates.find(job.id); updates != t->updates.end()) {
                out << "  #   the device published " << updates->second.size() << " update(s) on "
                    << "jobs/" << job.id << "/update (IoT logs)\n";
            }
            out << "  - execution_status: {job: " << quote(job.id)
                << ", devices: " << quote(t->sim_thing) << ", status: " << record.status << "}\n";
            ++result_.expectations;
        }
    }
    if (result_.expectations == 0) {
        out << "  # FILL IN: no execution history was given (--executions), so no final status is "
               "known; this placeholder only checks that the job reached the devices\n";
        out << "  - phases: {reached: [job_received]}\n";
        result_.notes.push_back("no final execution status in the inputs: the expectation is a "
                                "placeholder (pass --executions)");
    }
}

void ScenarioWriter::write_header(std::ostringstream& out) const {
    out << "# Generated by fota-sim import: a scenario skeleton that reproduces the cloud side of "
           "a\n"
           "# field failure. A starting point: read it, fill in what it marks, then run it with\n"
           "# fota-sim run FILE --stack sim (or embedded).\n#\n# Inputs:\n";
    for (const auto& file : options_.log_files) {
        out << "#   AWS IoT log      " << comment_text(file) << "\n";
    }
    for (const auto& file : options_.execution_files) {
        out << "#   job executions   " << comment_text(file) << "\n";
    }
    out << "#   (" << record_.entries << " log entries read";
    if (!record_.unknown_event_types.empty()) {
        std::size_t total = 0;
        std::string types;
        for (const auto& [type, count] : record_.unknown_event_types) {
            total += count;
            types += (types.empty() ? "" : ", ") + type + " " + std::to_string(count);
        }
        out << "; " << total << " of event types not used: " << comment_text(types);
    }
    out << ")\n#\n"
           "# Derived:\n"
           "#   devices  one group per thing (a client using its own $aws/things/<thing>/ "
           "topics):\n";
    for (const ThingModel& t : model_.things) {
        out << "#              " << comment_text(t.name) << " -> " << t.sim_thing << "\n";
    }
    out << "#   jobs     one create_job per job named on jobs/<jobId>/ topics, in Jobs entries or\n"
           "#            in the execution history; created at queuedAt, else when first named\n"
           "#   faults   each Disconnect followed by a Connect of the thing: network_fault "
           "offline\n"
           "#            for the time between them, at the Disconnect's offset from the first\n"
           "#            Connect; hold steps keep the log's spacing between steps\n"
           "#   expect   each final execution status of the history, as observed in the field\n"
           "#\n"
           "# Fill in: the firmware below is a placeholder (versions and sizes, unless the job\n"
           "# document gave them; the image's content is generated); the profile (seed follows\n"
           "# the nRF Connect SDK sample's flow, verified reports SUCCEEDED only after a "
           "confirmed\n"
           "# boot); the download speed (the simulated network is LTE-M-like, not the field's);\n"
           "# faults the IoT logs cannot show (power cuts, HTTP errors of the download).\n";
    if (!result_.notes.empty() || !model_.notes.empty()) {
        out << "#\n# Notes:\n";
        for (const auto* notes : {&model_.notes, &result_.notes}) {
            for (const auto& note : *notes) {
                out << comment("", "  - " + note);
            }
        }
    }
}

void ScenarioWriter::write_firmware(std::ostringstream& out) const {
    out << "firmware:\n"
           "  # placeholders: v1 is the image the devices run at the start (FILL IN its version)\n"
           "  v1: {version: 1.0.0, size: 180KiB}\n";
    for (const JobModel& job : model_.jobs) {
        out << "  # the image of job " << job.id
            << " (version and size: " << comment_text(job.version_source) << ")\n";
        out << "  " << job.firmware_id << ": {version: " << job.version
            << ", size: " << job.image_size << "}\n";
    }
}

void ScenarioWriter::write_devices(std::ostringstream& out) const {
    out << "devices:\n";
    for (const ThingModel& t : model_.things) {
        out << "  # field thing " << comment_text(t.name) << " (" << t.entries << " log entries, "
            << t.connects.size() << " Connect, " << t.gaps.size() << " Disconnect)\n";
        out << "  - {thing_prefix: " << quote(t.prefix)
            << ", count: 1, profile: seed, initial_firmware: v1}\n";
    }
}

} // namespace

ImportResult generate_scenario(const FieldRecord& record, const ImportOptions& options) {
    const FieldModel model = detail::build_model(record, options.thing);
    ImportResult result;
    if (!model.error.empty()) {
        result.error = model.error;
        result.notes = model.notes;
        return result;
    }
    result = ScenarioWriter(model, record, options).write();
    result.notes.insert(result.notes.begin(), model.notes.begin(), model.notes.end());
    if (!record.unknown_event_types.empty()) {
        std::size_t total = 0;
        std::string types;
        for (const auto& [type, count] : record.unknown_event_types) {
            total += count;
            types += (types.empty() ? "" : ", ") + type + " (" + std::to_string(count) + ")";
        }
        result.notes.push_back(std::to_string(total) +
                               " log entries of event types not used: " + types);
    }
    return result;
}

} // namespace fota::sim::importer
