#pragma once
// Parsing of AWS IoT Jobs topics by level count (a job id may be "get" or "notify"; spec §2.2).

#include <optional>
#include <string_view>

namespace fota::cloud {

enum class JobsOperation {
    get_pending, ///< $aws/things/T/jobs/get
    start_next,  ///< $aws/things/T/jobs/start-next
    describe,    ///< $aws/things/T/jobs/J/get (J may be "$next")
    update,      ///< $aws/things/T/jobs/J/update
    reply,       ///< a topic AWS publishes: .../accepted, .../rejected, notify, notify-next
    invalid,     ///< under $aws/things/T/jobs/ but no API (InvalidTopic)
};

struct JobsTopic {
    std::string_view thing_name; ///< not validated
    JobsOperation operation = JobsOperation::invalid;
    std::string_view job_id; ///< describe/update only; validated ("$next" only for describe)
};

/// Returns nullopt if `topic` is not under "$aws/things/<T>/jobs" (or is exactly that prefix
/// with nothing after it, which is `invalid`). Never reads past `topic`.
[[nodiscard]] std::optional<JobsTopic> parse_jobs_topic(std::string_view topic);

} // namespace fota::cloud
