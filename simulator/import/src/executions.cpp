// The job execution history as the AWS CLI prints it: describe-job-execution of the control
// plane (`aws iot`: thingArn, statusDetails.detailsMap) and of the data plane (`aws
// iot-jobs-data`: thingName, a flat statusDetails, jobDocument as a string), and
// list-job-executions-for-thing (executionSummaries[].jobExecutionSummary).
#include "fota/sim/import.hpp"

#include "json_text.hpp"
#include "timestamps.hpp"

#include <algorithm>
#include <array>

namespace fota::sim::importer {

using detail::describe_type;
using nlohmann::json;

namespace {

constexpr std::array<std::string_view, 8> kStatuses{
    "QUEUED", "IN_PROGRESS", "SUCCEEDED", "FAILED", "TIMED_OUT", "REJECTED", "REMOVED", "CANCELED"};

// "arn:aws:iot:<region>:<account>:thing/<name>" -> name; empty when it is not a thing ARN.
std::string thing_of_arn(const std::string& arn) {
    const auto at = arn.find(":thing/");
    if (arn.rfind("arn:", 0) != 0 || at == std::string::npos) {
        return {};
    }
    return arn.substr(at + 7);
}

class ExecutionReader {
public:
    ExecutionReader(const std::string& file, const std::string& thing, FieldRecord& into)
        : file_(file), thing_(thing), into_(into) {}

    std::optional<InputError> read(std::string_view text) {
        if (text.substr(0, 3) == "\xEF\xBB\xBF") { // a UTF-8 byte order mark (Windows tools)
            text.remove_prefix(3);
        }
        if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
            return error(0, "the file is empty; expected the output of aws iot "
                            "describe-job-execution or list-job-executions-for-thing");
        }
        json document;
        std::string message;
        int line = 0;
        if (!detail::parse_json(text, 1, document, message, line)) {
            return error(line, "not JSON: " + message);
        }
        const detail::JsonLayout layout = detail::scan_layout(text);
        const auto member_line = [&](const char* key) {
            const auto it = layout.member_lines.find(key);
            return it != layout.member_lines.end() ? it->second : 1;
        };
        if (document.is_object() && document.contains("execution")) {
            const int at = member_line("execution");
            if (!document["execution"].is_object()) {
                return error(at, "\"execution\" must be an object; got " +
                                     describe_type(document["execution"]));
            }
            return read_execution(document["execution"], at);
        }
        if (document.is_object() && document.contains("executionSummaries")) {
            const json& summaries = document["executionSummaries"];
            if (!summaries.is_array()) {
                return error(member_line("executionSummaries"),
                             "\"executionSummaries\" must be an array; got " +
                                 describe_type(summaries));
            }
            const auto found = layout.member_elements.find("executionSummaries");
            for (std::size_t i = 0; i < summaries.size(); ++i) {
                const int at = found != layout.member_elements.end() && i < found->second.size()
                                   ? found->second[i]
                                   : member_line("executionSummaries");
                if (auto problem = read_summary(summaries[i], at)) {
                    return problem;
                }
            }
            return std::nullopt;
        }
        return error(1, "not a job execution history: expected the output of aws iot "
                        "describe-job-execution ({\"execution\": {...}}) or aws iot "
                        "list-job-executions-for-thing ({\"executionSummaries\": [...]})");
    }

private:
    std::optional<InputError> error(int line, std::string message) const {
        return InputError{file_, line, std::move(message)};
    }

    std::optional<InputError> read_execution(const json& execution, int line) {
        ExecutionRecord record;
        record.from_describe = true;
        if (auto problem = job_id(execution, line, record)) {
            return problem;
        }
        if (const auto it = execution.find("thingName"); it != execution.end()) {
            if (!it->is_string()) {
                return error(line, "\"thingName\" must be a string; got " + describe_type(*it));
            }
            record.thing = it->get<std::string>();
        } else if (auto problem = thing_from_arn(execution, line, record)) {
            return problem;
        }
        if (record.thing.empty()) {
            record.thing = thing_;
        }
        if (auto problem = state(execution, line, record)) {
            return problem;
        }
        if (const auto it = execution.find("statusDetails"); it != execution.end()) {
            const json* details = &*it;
            if (details->is_object() && details->contains("detailsMap")) {
                details = &(*details)["detailsMap"]; // the control plane's shape
            }
            if (!details->is_object()) {
                return error(line,
                             "\"statusDetails\" must be an object; got " + describe_type(*details));
            }
            record.status_details = *details;
        }
        if (const auto it = execution.find("jobDocument"); it != execution.end()) {
            if (it->is_string()) {
                json document;
                std::string message;
                int ignored = 0;
                if (!detail::parse_json(it->get_ref<const std::string&>(), 1, document, message,
                                        ignored)) {
                    return error(line, "\"jobDocument\" is not a JSON document: " + message);
                }
                record.job_document = std::move(document);
            } else {
                record.job_document = *it;
            }
            if (!record.job_document->is_object()) {
                return error(line, "\"jobDocument\" must be a JSON object; got " +
                                       describe_type(*record.job_document));
            }
        }
        into_.executions.push_back(std::move(record));
        return std::nullopt;
    }

    std::optional<InputError> read_summary(const json& entry, int line) {
        if (!entry.is_object()) {
            return error(line, "an entry of \"executionSummaries\" must be an object; got " +
                                   describe_type(entry));
        }
        ExecutionRecord record;
        if (!entry.contains("jobId")) {
            return error(line, "the entry of \"executionSummaries\" has no \"jobId\" "
                               "(list-job-executions-for-job does not name its job: use "
                               "list-job-executions-for-thing or describe-job-execution)");
        }
        if (auto problem = job_id(entry, line, record)) {
            return problem;
        }
        if (auto problem = thing_from_arn(entry, line, record)) {
            return problem;
        }
        if (record.thing.empty()) {
            record.thing = thing_;
        }
        const auto summary = entry.find("jobExecutionSummary");
        if (summary == entry.end() || !summary->is_object()) {
            return error(line, "the entry of \"executionSummaries\" needs a "
                               "\"jobExecutionSummary\" object");
        }
        if (auto problem = state(*summary, line, record)) {
            return problem;
        }
        into_.executions.push_back(std::move(record));
        return std::nullopt;
    }

    std::optional<InputError> job_id(const json& object, int line, ExecutionRecord& record) {
        const auto it = object.find("jobId");
        if (it == object.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
            return error(line, "the execution needs \"jobId\", a non-empty string");
        }
        record.job_id = it->get<std::string>();
        return std::nullopt;
    }

    std::optional<InputError> thing_from_arn(const json& object, int line,
                                             ExecutionRecord& record) {
        const auto it = object.find("thingArn");
        if (it == object.end()) {
            return std::nullopt;
        }
        if (!it->is_string() || thing_of_arn(it->get<std::string>()).empty()) {
            return error(line, "\"thingArn\" must be a thing ARN, "
                               "arn:aws:iot:<region>:<account>:thing/<name>");
        }
        record.thing = thing_of_arn(it->get<std::string>());
        return std::nullopt;
    }

    // status, the timestamps and the numbers, shared by both shapes.
    std::optional<InputError> state(const json& object, int line, ExecutionRecord& record) {
        const auto status = object.find("status");
        if (status == object.end() || !status->is_string()) {
            return error(line, "the execution of job " + record.job_id + " needs \"status\"");
        }
        record.status = status->get<std::string>();
        if (std::find(kStatuses.begin(), kStatuses.end(), record.status) == kStatuses.end()) {
            return error(line, "\"status\" " + status->dump() +
                                   " is not a job execution status (QUEUED, IN_PROGRESS, "
                                   "SUCCEEDED, FAILED, TIMED_OUT, REJECTED, REMOVED, CANCELED)");
        }
        const std::array<std::pair<const char*, std::optional<std::int64_t>*>, 3> times{{
            {"queuedAt", &record.queued_at_ms},
            {"startedAt", &record.started_at_ms},
            {"lastUpdatedAt", &record.last_updated_at_ms},
        }};
        for (const auto& [key, out] : times) {
            if (const auto it = object.find(key); it != object.end() && !it->is_null()) {
                *out = detail::epoch_or_text_ms(*it);
                if (!*out) {
                    return error(line, std::string("\"") + key +
                                           "\" must be epoch seconds or an ISO 8601 time; got " +
                                           it->dump().substr(0, 60));
                }
            }
        }
        const std::array<std::pair<const char*, std::optional<std::int64_t>*>, 2> numbers{{
            {"versionNumber", &record.version_number},
            {"executionNumber", &record.execution_number},
        }};
        for (const auto& [key, out] : numbers) {
            if (const auto it = object.find(key); it != object.end() && !it->is_null()) {
                if (!it->is_number_integer()) {
                    return error(line, std::string("\"") + key + "\" must be an integer; got " +
                                           describe_type(*it));
                }
                *out = it->get<std::int64_t>();
            }
        }
        record.file = file_;
        record.line = line;
        return std::nullopt;
    }

    const std::string& file_;
    const std::string& thing_;
    FieldRecord& into_;
};

} // namespace

std::optional<InputError> read_executions(std::string_view text, const std::string& file,
                                          const std::string& thing, FieldRecord& into) {
    try {
        return ExecutionReader(file, thing, into).read(text);
    } catch (const std::exception& e) { // only allocation failures remain
        return InputError{file, 0, std::string("cannot read: ") + e.what()};
    }
}

} // namespace fota::sim::importer
