#pragma once
// A JSON form of the control API (things, jobs, executions, shadows, fault knobs), for harnesses
// that drive the cloud over MQTT instead of REST: the plugin answers it on the topic
// `$fota/control` when mosquitto.conf has `plugin_opt_control_topic true`.
//
// Request:  {"op":"create_job","id":"r1","args":{"jobId":"j1","body":{...CreateJob body...}}}
// Reply:    {"id":"r1","ok":true,"body":{...AWS response...}}
//           {"id":"r1","ok":false,"error":{"type":"ResourceNotFoundException","status":404,
//                                          "message":"..."}}
// Ops and args (names as in the AWS REST API):
//   create_thing {thingName, body?}            describe_thing {thingName}   list_things {}
//   create_job {jobId, body}                   describe_job {jobId}         list_jobs {status?}
//   get_job_document {jobId}                   cancel_job {jobId, force?, body?}
//   delete_job {jobId, force?}                 describe_job_execution {thingName, jobId,
//   executionNumber?}                          list_job_executions_for_job {jobId, status?}
//   list_job_executions_for_thing {thingName, status?}
//   cancel_job_execution {thingName, jobId, force?, body?}
//   delete_job_execution {thingName, jobId, executionNumber, force?}
//   get_thing_shadow / delete_thing_shadow {thingName, shadowName?}
//   update_thing_shadow {thingName, shadowName?, payload (a JSON value, sent as its text)}
//   fault knobs {thingName, ...}: duplicate_next_notify_next, duplicate_next_job_document,
//   reject_next_update {code}, delay_next_reply {seconds, topicSuffix?},
//   drop_next_reply {topicSuffix?} (topicSuffix: only a reply whose topic ends with it)
//   advance_clock {seconds}: moves the cloud's clock forward (timeouts, rollout minutes)

#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "fota/cloud/cloud_core.hpp"

namespace fota::cloud {

inline constexpr std::string_view control_request_topic = "$fota/control";
inline constexpr std::string_view control_reply_prefix = "$fota/control/reply/";

/// Runs one control request. Bad requests give an InvalidRequestException result; never throws
/// for bad input. The messages the call causes are in the result (not yet published).
ControlResult dispatch_control(CloudCore& core, const nlohmann::json& request, std::int64_t now);

/// Handles a PUBLISH on `$fota/control` from `client_id`: parses `payload`, runs it, publishes
/// what it causes, and publishes the reply to `$fota/control/reply/<client_id>` (that client only).
void handle_control_message(CloudCore& core, std::string_view client_id, std::string_view payload,
                            std::int64_t now);

} // namespace fota::cloud
