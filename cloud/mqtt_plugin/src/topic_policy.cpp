#include "fota/cloud/topic_policy.hpp"

#include <algorithm>
#include <string>

#include "fota/cloud/identifiers.hpp"
#include "fota/cloud/jobs_topic.hpp"
#include "fota/cloud/shadow_topic.hpp"

namespace fota::cloud {
namespace {

constexpr std::string_view things_prefix = "$aws/things/";
constexpr std::string_view control_prefix = "$fota/control";

std::string_view thing_level(std::string_view topic) {
    const std::string_view rest = topic.substr(things_prefix.size());
    return rest.substr(0, rest.find('/'));
}

bool is_wildcard(std::string_view level) {
    return level == "+" || level == "#";
}

} // namespace

bool is_topic_access_allowed(const TopicAccessRequest& request) {
    const std::string_view topic = request.topic;
    if (request.access == TopicAccess::write) {
        if (request.qos > 1 || request.payload_size > max_payload_bytes ||
            static_cast<std::size_t>(std::count(topic.begin(), topic.end(), '/')) >
                max_topic_slashes) {
            return false;
        }
    }
    if (topic.substr(0, control_prefix.size()) == control_prefix) {
        // $fota/control: requests reach the cloud only; replies only their requester.
        if (request.access == TopicAccess::write) {
            return topic == "$fota/control" && !request.retain;
        }
        if (request.access == TopicAccess::read) {
            return topic.substr(control_prefix.size()) ==
                   std::string("/reply/") + std::string(request.client_id);
        }
        return true;
    }
    if (topic.substr(0, things_prefix.size()) != things_prefix) {
        return true; // not a thing's reserved topic
    }
    if (request.access == TopicAccess::unsubscribe) {
        return true;
    }
    if (request.access == TopicAccess::write && request.retain) {
        return false;
    }
    const std::string_view thing = thing_level(topic);
    const bool own = !thing.empty() && thing == request.client_id;
    if (request.certificate_bound && !own &&
        (request.access == TopicAccess::read || !is_wildcard(thing))) {
        return false; // another thing's topics: not under a per-thing policy
    }
    // Plain values (not optionals): gcc 12 warns about optionals it cannot follow here.
    const auto jobs_topic = parse_jobs_topic(topic);
    const bool jobs = jobs_topic.has_value();
    const JobsOperation jobs_op = jobs ? jobs_topic->operation : JobsOperation::invalid;
    const auto shadow_topic = jobs ? std::nullopt : parse_shadow_topic(topic);
    const bool shadow = shadow_topic.has_value();
    const ShadowOperation shadow_op = shadow ? shadow_topic->operation : ShadowOperation::other;

    switch (request.access) {
    case TopicAccess::write:
        // Only T publishes on T's topics, and only requests (replies come from the cloud).
        if (!own) {
            return false;
        }
        if (jobs) {
            return jobs_op != JobsOperation::reply;
        }
        if (shadow) {
            return shadow_op != ShadowOperation::reply;
        }
        return true;
    case TopicAccess::subscribe:
        // A filter naming another thing's Jobs topics is refused (those are T's only); shadow
        // replies pass through the broker, so anyone may subscribe to them. Wildcards are
        // allowed; delivery (read) then filters message by message.
        if (own || is_wildcard(thing)) {
            return true;
        }
        if (jobs) {
            return false;
        }
        return !shadow || shadow_op == ShadowOperation::reply;
    case TopicAccess::read:
        if (jobs) {
            // Jobs replies and notifications: thing T only (an InvalidTopic rejection is on
            // <request topic>/rejected, which parses as `invalid`). Requests: nobody.
            const bool rejection =
                topic.size() > 9 && topic.substr(topic.size() - 9) == "/rejected";
            return own && (jobs_op == JobsOperation::reply || rejection);
        }
        if (shadow) {
            // Shadow replies go through the broker to any subscriber (spec §1.1); requests to
            // nobody.
            return shadow_op == ShadowOperation::reply;
        }
        return own;
    case TopicAccess::unsubscribe:
        return true;
    }
    return false;
}

std::string connect_refusal(std::string_view client_id,
                            const std::optional<std::string>& certificate_cn) {
    if (!certificate_cn) {
        return "no client certificate with a single subject CN";
    }
    if (!is_valid_thing_name(*certificate_cn)) {
        return "the certificate's CN '" + *certificate_cn +
               "' is no thing name, and the certificate is not registered "
               "(CreateKeysAndCertificate)";
    }
    if (client_id != *certificate_cn) {
        return "client id '" + std::string(client_id) + "' is not the certificate's thing '" +
               *certificate_cn + "'";
    }
    return {};
}

} // namespace fota::cloud
