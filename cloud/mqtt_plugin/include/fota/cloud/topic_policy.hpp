#pragma once
// AWS IoT Core's rules for reserved topics and limits, as the broker enforces them (spec §2.2,
// §7.1): thing T's $aws/things/T/... topics belong to client id T; replies and notifications are
// published only by the cloud; requests are never delivered to subscribers; 128 KiB payloads,
// QoS 0/1, no retain on reserved topics, at most 7 slashes in a topic.

#include <cstddef>
#include <string_view>

namespace fota::cloud {

enum class TopicAccess { read, write, subscribe, unsubscribe };

struct TopicAccessRequest {
    std::string_view client_id;
    std::string_view topic; ///< a topic (read/write) or a topic filter (subscribe)
    TopicAccess access = TopicAccess::read;
    int qos = 0;
    bool retain = false;
    std::size_t payload_size = 0;
};

inline constexpr std::size_t max_payload_bytes = 128 * 1024;
inline constexpr std::size_t max_topic_slashes = 7;

/// True if AWS IoT Core would allow the operation. Pure; never throws.
[[nodiscard]] bool is_topic_access_allowed(const TopicAccessRequest& request);

} // namespace fota::cloud
