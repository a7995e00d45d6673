#include "fota/cloud/topic_policy.hpp"

#include <algorithm>

#include "fota/cloud/jobs_topic.hpp"
#include "fota/cloud/shadow_topic.hpp"

namespace fota::cloud {
namespace {

constexpr std::string_view things_prefix = "$aws/things/";

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
    const auto jobs = parse_jobs_topic(topic);
    const auto shadow = jobs ? std::nullopt : parse_shadow_topic(topic);

    switch (request.access) {
    case TopicAccess::write:
        // Only T publishes on T's topics, and only requests (replies come from the cloud).
        if (!own) {
            return false;
        }
        if (jobs) {
            return jobs->operation != JobsOperation::reply;
        }
        if (shadow) {
            return shadow->operation != ShadowOperation::reply;
        }
        return true;
    case TopicAccess::subscribe:
        // A filter naming another thing is refused; wildcards are allowed, and delivery (read)
        // then filters message by message.
        return own || is_wildcard(thing) || (!jobs && !shadow);
    case TopicAccess::read:
        if (jobs) {
            // Jobs replies and notifications: thing T only. Requests: nobody.
            return own && jobs->operation == JobsOperation::reply;
        }
        if (shadow) {
            // Shadow replies go through the broker to any subscriber (spec §1.1); requests to
            // nobody.
            return shadow->operation == ShadowOperation::reply;
        }
        return own;
    case TopicAccess::unsubscribe:
        return true;
    }
    return false;
}

} // namespace fota::cloud
