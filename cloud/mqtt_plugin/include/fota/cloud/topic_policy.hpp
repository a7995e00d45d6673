#pragma once
// AWS IoT Core's rules for reserved topics and limits, as the broker enforces them (spec §2.2,
// §7.1): thing T's $aws/things/T/... topics belong to client id T; replies and notifications are
// published only by the cloud; requests are never delivered to subscribers; 128 KiB payloads,
// QoS 0/1, no retain on reserved topics, at most 7 slashes in a topic. With client certificates
// (a TLS stack), a connection is its certificate's thing: the client id must be the certificate's
// CN, and the client reaches only its own thing's reserved topics, as under the per-thing policy
// AWS IoT devices are given (`${iot:Connection.Thing.ThingName}`).

#include <cstddef>
#include <optional>
#include <string>
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
    /// The client's id is bound to its certificate (connect_refusal passed): it may subscribe to
    /// and receive only its own thing's reserved topics. false: any client may subscribe to
    /// another thing's shadow replies, as a permissive AWS policy allows.
    bool certificate_bound = false;
};

inline constexpr std::size_t max_payload_bytes = 128 * 1024;
inline constexpr std::size_t max_topic_slashes = 7;

/// True if AWS IoT Core would allow the operation. Pure; never throws.
[[nodiscard]] bool is_topic_access_allowed(const TopicAccessRequest& request);

/// Why a CONNECT whose client id is client_id, over a connection whose client certificate has
/// the subject CN certificate_cn (nullopt: no certificate, or no single CN), is refused when
/// things are bound to their certificates; empty when it is allowed (the client id is the CN, a
/// valid thing name). For a certificate the identity service knows, its rule applies instead.
/// Pure; never throws.
[[nodiscard]] std::string connect_refusal(std::string_view client_id,
                                          const std::optional<std::string>& certificate_cn);

} // namespace fota::cloud
