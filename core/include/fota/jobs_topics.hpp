// AWS IoT Jobs MQTT topics: built into caller buffers, and the three the agent acts on parsed
// from their end, so that a job whose ID is "get", "notify" or "start-next" is still recognised.
#pragma once

#include "fota/limits.hpp"

#include <cstdint>
#include <span>
#include <string_view>

namespace fota {

enum class TopicStatus : std::uint8_t {
    Ok,
    TooLong,      ///< the topic does not fit the buffer
    InvalidThing, ///< empty, too long, or characters outside [a-zA-Z0-9:_-]
    InvalidJobId, ///< empty, too long, or characters outside [a-zA-Z0-9_-] (and not "$next")
};

/// True if name is a valid AWS thing name (1..128 of [a-zA-Z0-9:_-]).
bool is_valid_thing_name(std::string_view name);
/// True if id is a valid job ID (1..64 of [a-zA-Z0-9_-]); "$next" only if allow_next.
bool is_valid_job_id(std::string_view id, bool allow_next);

/// What a Jobs topic is, of the three the agent subscribes to (or receives unasked, as AWS sends
/// replies to every request): anything else is NotJobs.
enum class JobsTopicKind : std::uint8_t {
    NotJobs,       ///< not one of the topics below for this thing, or malformed
    NotifyNext,    ///< .../jobs/notify-next
    DescribeReply, ///< .../jobs/<job>/get/accepted|rejected (job may be "$next")
    UpdateReply,   ///< .../jobs/<job>/update/accepted|rejected
};

struct JobsTopic {
    JobsTopicKind kind = JobsTopicKind::NotJobs;
    std::string_view job_id; ///< *Reply: a view into the parsed topic
    bool accepted = false;   ///< *Reply: accepted (true) or rejected (false)
};

/// Parse topic as one of the Jobs topics of thing_name the agent acts on. Anything else (another
/// thing, the shadow, a request, another operation, an invalid job ID, extra levels) gives kind
/// NotJobs. A job whose ID is "get", "notify" or "update" is still recognised: the operation is
/// read from the end of the topic.
JobsTopic parse_jobs_topic(std::string_view topic, std::string_view thing_name);

/// The fixed topics of a thing.
enum class ThingTopic : std::uint8_t {
    NotifyNext,    ///< $aws/things/T/jobs/notify-next
    Notify,        ///< $aws/things/T/jobs/notify
    NextGet,       ///< $aws/things/T/jobs/$next/get
    NextGetFilter, ///< $aws/things/T/jobs/$next/get/#
    ShadowUpdate,  ///< $aws/things/T/shadow/update
};

/// Build one of the fixed topics into out (NUL-terminated); view gets the text.
TopicStatus build_thing_topic(std::span<char> out, std::string_view thing_name, ThingTopic which,
                              std::string_view& view);

/// Suffix of a per-job topic.
enum class JobTopic : std::uint8_t {
    Update,         ///< .../jobs/J/update
    UpdateAccepted, ///< .../jobs/J/update/accepted
    UpdateRejected, ///< .../jobs/J/update/rejected
    Get,            ///< .../jobs/J/get
};

/// Build $aws/things/<thing>/jobs/<job>/<suffix> into out (NUL-terminated).
TopicStatus build_job_topic(std::span<char> out, std::string_view thing_name,
                            std::string_view job_id, JobTopic which, std::string_view& view);

} // namespace fota
