#pragma once
// Types shared by the cloud services (Jobs, Shadow) and their hosts (the Mosquitto plugin, the
// control-plane REST server): the messages a change causes, and the result of a control call.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace fota::cloud {

/// One MQTT message the broker must publish because of a request or a state change.
struct OutboundMessage {
    /// Empty: publish through the broker to every subscriber (notifications, shadow documents).
    /// Non-empty: deliver to this client id only, whether or not it subscribed (Jobs replies).
    std::string client_id;
    std::string topic;
    std::string payload;
};

using Messages = std::vector<OutboundMessage>;

/// An AWS error of a control-plane (REST) call.
struct ControlError {
    std::string type; ///< AWS exception name for x-amzn-ErrorType, e.g. "ResourceNotFoundException"
    int http_status = 0; ///< HTTP status AWS uses for it (spec §8.4), e.g. 404
    std::string message; ///< human-readable; goes into the body as {"message": ...}
};

/// Result of a control-plane call (CreateJob, GetThingShadow, ...).
struct ControlResult {
    /// Set when the call failed; then `body` is null and `messages` is empty.
    std::optional<ControlError> error;
    /// The AWS REST response body on success, already in AWS's JSON shape (spec §8.2, §8.3).
    /// null means "empty body". For the iot-data shadow calls it is the raw shadow document.
    nlohmann::json body;
    /// MQTT messages the change causes (notify, notify-next, shadow documents/delta). A host that
    /// runs the call through WorkQueue publishes them itself; callers only read them.
    Messages messages;

    [[nodiscard]] bool ok() const { return !error.has_value(); }

    static ControlResult success(nlohmann::json body_value, Messages caused = {}) {
        ControlResult result;
        result.body = std::move(body_value);
        result.messages = std::move(caused);
        return result;
    }
    static ControlResult failure(std::string type, int http_status, std::string message) {
        ControlResult result;
        result.error = ControlError{std::move(type), http_status, std::move(message)};
        return result;
    }
};

/// Paging/filter parameters of the List* control calls (query string of the REST call).
struct ListQuery {
    std::optional<std::string> status; ///< e.g. "QUEUED"; unset = all
    int max_results = 0;               ///< 1..250; 0 = the default (AWS's default is 50)
    std::string next_token;            ///< from a previous page; empty = first page
    std::optional<std::string> job_id; ///< ListJobExecutionsForThing only
    /// ListThings only: things whose attribute attribute_name is attribute_value (unset = all).
    std::optional<std::string> attribute_name;
    std::string attribute_value;
};

} // namespace fota::cloud
