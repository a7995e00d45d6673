// fota-sim import: what a team has after a field failure (AWS IoT logs, the job execution
// history) turned into a scenario skeleton that reproduces the cloud side of it.
//
// Inputs, as AWS writes them (simulator/import/README.md has the details and examples):
// - AWS IoT logs (log group AWSIotLogsV2): one JSON entry per line as CloudWatch Logs exports
//   them, a JSON array of entries, or the output of `aws logs filter-log-events` /
//   `get-log-events` ({"events": [{"timestamp", "message": "<the entry as a JSON string>"}]}).
//   Used: Connect, Disconnect, Subscribe, Unsubscribe, Publish-In, Publish-Out and the Jobs
//   component's entries (jobId, thingName); other event types are counted, never fatal.
// - The job execution history: `aws iot describe-job-execution`, `aws iot-jobs-data
//   describe-job-execution` ({"execution": {...}}) and `aws iot list-job-executions-for-thing`
//   ({"executionSummaries": [...]}).
//
// Reading never throws and never crashes on bad input: it returns FILE:LINE and what is wrong.
// The generator is deterministic: the same records and options give the same bytes.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fota::sim::importer {

/// What is wrong with an input, and where.
struct InputError {
    std::string file;
    int line = 0; ///< 1-based; 0: the file as a whole
    std::string message;

    /// "FILE:LINE: message" (or "FILE: message" without a line).
    std::string to_string() const;
};

/// The fields of one AWSIotLogsV2 entry the importer uses.
struct LogEvent {
    std::int64_t time_ms = 0;      ///< "timestamp", as Unix time in milliseconds (UTC)
    std::string event_type;        ///< "eventType": Connect, Disconnect, Publish-In, ...
    std::string status;            ///< "status": Success or Failure
    std::string client_id;         ///< "clientId"
    std::string topic;             ///< "topicName" (a topic filter for Subscribe)
    std::string thing_name;        ///< "thingName" (Jobs entries)
    std::string job_id;            ///< "jobId" (Jobs entries)
    std::string disconnect_reason; ///< "disconnectReason" (Disconnect)
    std::string file;
    int line = 0;
};

/// One job execution from the execution history.
struct ExecutionRecord {
    std::string thing; ///< thingName, the thing of thingArn, or the --thing given; may be empty
    std::string job_id;
    std::string status; ///< QUEUED, IN_PROGRESS, SUCCEEDED, FAILED, TIMED_OUT, REJECTED, ...
    nlohmann::json status_details = nlohmann::json::object(); ///< flat (detailsMap unwrapped)
    std::optional<nlohmann::json> job_document; ///< iot-jobs-data only, parsed when a string
    std::optional<std::int64_t> queued_at_ms;
    std::optional<std::int64_t> started_at_ms;
    std::optional<std::int64_t> last_updated_at_ms;
    std::optional<std::int64_t> version_number;
    std::optional<std::int64_t> execution_number;
    bool from_describe = false; ///< describe-job-execution (else a list summary)
    std::string file;
    int line = 0;
};

/// Everything read from the inputs, in file order.
struct FieldRecord {
    std::vector<LogEvent> events;
    std::vector<ExecutionRecord> executions;
    std::size_t entries = 0; ///< log entries read, used or not
    /// Entries whose eventType the importer does not use, by type.
    std::map<std::string, std::size_t> unknown_event_types;
};

/// Reads one file of AWS IoT log entries (any of the three forms) into `into`. Returns the first
/// problem (a line that is not JSON, an entry without "eventType" or with a bad "timestamp", a
/// broker entry without "clientId", ...); entries read before it stay in `into`.
std::optional<InputError> read_iot_log(std::string_view text, const std::string& file,
                                       FieldRecord& into);

/// Reads one file of AWS CLI output (describe-job-execution of either plane, or
/// list-job-executions-for-thing) into `into`. `thing` names the thing of outputs that do not
/// say it (list-job-executions-for-thing); empty: decided when the scenario is generated.
std::optional<InputError> read_executions(std::string_view text, const std::string& file,
                                          const std::string& thing, FieldRecord& into);

/// Parses an AWS timestamp: "2017-08-10 15:37:23.476" (IoT logs, UTC), ISO 8601 with "T" and a
/// zone ("Z", "+00:00") or none (UTC), as Unix milliseconds; nullopt when it is none of these.
std::optional<std::int64_t> parse_timestamp(std::string_view text);

struct ImportOptions {
    std::string name;  ///< the scenario's name (letters, digits, '-', '_', '.'); empty: derived
    std::string thing; ///< only this thing (empty: every thing seen)
    std::string stack = "sim";                ///< sim or embedded
    std::vector<std::string> log_files;       ///< named in the header comment
    std::vector<std::string> execution_files; ///< named in the header comment
};

struct ImportResult {
    std::string yaml;               ///< the scenario, when ok
    std::string error;              ///< what was missing, when not ok
    std::vector<std::string> notes; ///< what the user should know (also in the YAML's header)
    std::size_t devices = 0;
    std::size_t jobs = 0;
    std::size_t network_faults = 0;
    std::size_t expectations = 0;
    bool ok() const { return error.empty(); }
};

/// The scenario skeleton (scenarios/README.md's format): one device group per thing, firmware
/// placeholders, a create_job per job, the thing's disconnects as network_fault offline steps
/// with the log's spacing, and the field's final execution statuses as expectations. Fails (with
/// what was missing) when the record holds no thing or no job.
ImportResult generate_scenario(const FieldRecord& record, const ImportOptions& options);

} // namespace fota::sim::importer
