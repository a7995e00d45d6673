// AWS IoT log entries (log group AWSIotLogsV2) in the three forms they leave CloudWatch Logs in:
// JSON lines, a JSON array, and `aws logs filter-log-events` / `get-log-events` output whose
// events carry each entry as a JSON string in "message".
#include "fota/sim/import.hpp"

#include "json_text.hpp"
#include "timestamps.hpp"

#include <algorithm>
#include <array>

namespace fota::sim::importer {

using detail::describe_type;
using nlohmann::json;

std::string InputError::to_string() const {
    if (line <= 0) {
        return file + ": " + message;
    }
    return file + ":" + std::to_string(line) + ": " + message;
}

namespace {

// The message broker's events the importer reads (each names its client).
constexpr std::array<std::string_view, 6> kBrokerEvents{"Connect",     "Disconnect", "Subscribe",
                                                        "Unsubscribe", "Publish-In", "Publish-Out"};
// The Jobs component's events: they name the job and the thing.
constexpr std::array<std::string_view, 4> kJobsEvents{"GetPendingJobExecutions",
                                                      "StartNextPendingJobExecution",
                                                      "DescribeJobExecution", "UpdateJobExecution"};

bool is_one_of(std::string_view value, const auto& list) {
    return std::find(list.begin(), list.end(), value) != list.end();
}

std::string quoted(const json& value) {
    std::string text = value.dump(-1, ' ', true, json::error_handler_t::replace);
    if (text.size() > 60) {
        text = text.substr(0, 57) + "...";
    }
    return text;
}

// An optional string field; false (with message) when it is there and not a string.
bool optional_string(const json& entry, const char* key, std::string& out, std::string& message) {
    const auto it = entry.find(key);
    if (it == entry.end() || it->is_null()) {
        return true;
    }
    if (!it->is_string()) {
        message = std::string("\"") + key + "\" must be a string; got " + describe_type(*it);
        return false;
    }
    out = it->get<std::string>();
    return true;
}

// Files saved by Windows tools may start with a UTF-8 byte order mark; JSON has none.
std::string_view without_bom(std::string_view text) {
    return text.substr(0, 3) == "\xEF\xBB\xBF" ? text.substr(3) : text;
}

class LogReader {
public:
    LogReader(std::string_view text, const std::string& file, FieldRecord& into)
        : text_(without_bom(text)), file_(file), into_(into) {}

    std::optional<InputError> read() {
        const auto start = text_.find_first_not_of(" \t\r\n");
        if (start == std::string_view::npos) {
            return error(0, "the file is empty; expected AWS IoT log entries (AWSIotLogsV2 JSON: "
                            "one per line, a JSON array, or aws logs filter-log-events output)");
        }
        if (text_[start] == '[') {
            return read_document();
        }
        if (text_[start] != '{') {
            return error(detail::line_of_offset(text_, start),
                         "not an AWS IoT log entry: expected a JSON object per line, a JSON "
                         "array, or aws logs filter-log-events output");
        }
        // A pretty-printed document ("{" alone on its first line) or one object: the whole
        // text; otherwise one entry per line.
        const auto first_end = text_.find('\n', start);
        const auto first_line = text_.substr(start, first_end - start);
        const bool pretty = first_line.find_first_not_of(" \t\r{") == std::string_view::npos;
        json whole;
        std::string message;
        int line = 0;
        if (pretty || detail::parse_json(text_, 1, whole, message, line)) {
            return read_document();
        }
        return read_lines();
    }

private:
    std::optional<InputError> error(int line, std::string message) const {
        return InputError{file_, line, std::move(message)};
    }

    std::optional<InputError> read_document() {
        json document;
        std::string message;
        int line = 0;
        if (!detail::parse_json(text_, 1, document, message, line)) {
            return error(line, "not JSON: " + message);
        }
        const detail::JsonLayout layout = detail::scan_layout(text_);
        const auto line_at = [](const std::vector<int>& lines, std::size_t index) {
            return index < lines.size() ? lines[index] : 1;
        };
        if (document.is_array()) {
            for (std::size_t i = 0; i < document.size(); ++i) {
                if (auto problem = read_element(document[i], line_at(layout.elements, i))) {
                    return problem;
                }
            }
            return std::nullopt;
        }
        if (document.is_object() && document.contains("events")) {
            const json& events = document["events"];
            const auto events_line =
                layout.member_lines.count("events") != 0 ? layout.member_lines.at("events") : 1;
            if (!events.is_array()) {
                return error(events_line, "\"events\" must be an array of log events (aws logs "
                                          "filter-log-events output); got " +
                                              describe_type(events));
            }
            const auto found = layout.member_elements.find("events");
            const std::vector<int> no_lines;
            const auto& lines = found != layout.member_elements.end() ? found->second : no_lines;
            for (std::size_t i = 0; i < events.size(); ++i) {
                if (!events[i].is_object() || !events[i].contains("message")) {
                    return error(line_at(lines, i),
                                 "an entry of \"events\" must be a log event with a \"message\" "
                                 "(the AWS IoT log entry as a JSON string)");
                }
                if (auto problem = read_element(events[i], line_at(lines, i))) {
                    return problem;
                }
            }
            return std::nullopt;
        }
        return read_element(document, 1);
    }

    std::optional<InputError> read_lines() {
        int line = 0;
        std::size_t at = 0;
        while (at <= text_.size()) {
            const auto end = std::min(text_.find('\n', at), text_.size());
            const std::string_view content = text_.substr(at, end - at);
            ++line;
            at = end + 1;
            if (content.find_first_not_of(" \t\r") == std::string_view::npos) {
                continue;
            }
            json entry;
            std::string message;
            int error_line = 0;
            if (!detail::parse_json(content, line, entry, message, error_line)) {
                return error(line, "not JSON: " + message);
            }
            if (auto problem = read_element(entry, line)) {
                return problem;
            }
        }
        return std::nullopt;
    }

    // An entry, or a CloudWatch log event holding one in "message" (its "timestamp", in Unix
    // milliseconds, stands in when the entry has none).
    std::optional<InputError> read_element(const json& element, int line) {
        if (!element.is_object()) {
            return error(line, "a log entry must be a JSON object; got " + describe_type(element));
        }
        if (element.contains("eventType") || !element.contains("message")) {
            return read_entry(element, std::nullopt, line);
        }
        const json& message = element["message"];
        if (!message.is_string()) {
            return error(line, "\"message\" must be the AWS IoT log entry as a JSON string; got " +
                                   describe_type(message));
        }
        json entry;
        std::string problem;
        int ignored_line = 0;
        if (!detail::parse_json(message.get_ref<const std::string&>(), 1, entry, problem,
                                ignored_line)) {
            return error(line, "\"message\" is not an AWS IoT log entry: not JSON: " + problem);
        }
        if (!entry.is_object()) {
            return error(line, "\"message\" must hold a JSON object; got " + describe_type(entry));
        }
        std::optional<std::int64_t> fallback;
        if (const auto it = element.find("timestamp");
            it != element.end() && it->is_number_integer()) {
            fallback = it->get<std::int64_t>();
        }
        return read_entry(entry, fallback, line);
    }

    std::optional<InputError> read_entry(const json& entry, std::optional<std::int64_t> fallback,
                                         int line) {
        ++into_.entries;
        const auto type = entry.find("eventType");
        if (type == entry.end()) {
            return error(line, "the entry has no \"eventType\" (AWSIotLogsV2 entries name their "
                               "event: Connect, Publish-In, ...)");
        }
        if (!type->is_string() || type->get_ref<const std::string&>().empty()) {
            return error(line, "\"eventType\" must be a non-empty string; got " + quoted(*type));
        }
        LogEvent event;
        event.event_type = type->get<std::string>();
        event.file = file_;
        event.line = line;
        const bool broker = is_one_of(event.event_type, kBrokerEvents);
        if (!broker && !is_one_of(event.event_type, kJobsEvents)) {
            ++into_.unknown_event_types[event.event_type.substr(0, 64)];
            return std::nullopt;
        }
        if (const auto time = entry.find("timestamp"); time != entry.end()) {
            std::optional<std::int64_t> parsed;
            if (time->is_string()) {
                parsed = parse_timestamp(time->get_ref<const std::string&>());
            }
            if (!parsed) {
                return error(line, "\"timestamp\" must be a UTC time like \"2017-08-10 "
                                   "15:37:23.476\"; got " +
                                       quoted(*time));
            }
            event.time_ms = *parsed;
        } else if (fallback) {
            event.time_ms = *fallback;
        } else {
            return error(line, "the " + event.event_type + " entry has no \"timestamp\"");
        }
        std::string message;
        if (!optional_string(entry, "status", event.status, message) ||
            !optional_string(entry, "clientId", event.client_id, message) ||
            !optional_string(entry, "topicName", event.topic, message) ||
            !optional_string(entry, "thingName", event.thing_name, message) ||
            !optional_string(entry, "jobId", event.job_id, message) ||
            !optional_string(entry, "disconnectReason", event.disconnect_reason, message)) {
            return error(line, message + " (in a " + event.event_type + " entry)");
        }
        if (broker && event.client_id.empty()) {
            return error(line, "the " + event.event_type + " entry has no \"clientId\"");
        }
        const bool has_topic = event.event_type != "Connect" && event.event_type != "Disconnect";
        if (broker && has_topic && event.topic.empty()) {
            return error(line, "the " + event.event_type + " entry has no \"topicName\"");
        }
        into_.events.push_back(std::move(event));
        return std::nullopt;
    }

    std::string_view text_;
    const std::string& file_;
    FieldRecord& into_;
};

} // namespace

std::optional<InputError> read_iot_log(std::string_view text, const std::string& file,
                                       FieldRecord& into) {
    try {
        return LogReader(text, file, into).read();
    } catch (const std::exception& e) { // only allocation failures remain
        return InputError{file, 0, std::string("cannot read: ") + e.what()};
    }
}

} // namespace fota::sim::importer
