#pragma once
// Local AWS IoT Jobs: things, jobs, job executions, the device MQTT API and the control-plane API.
// Pure logic: time is an input (epoch seconds), output is the list of MQTT messages a request or
// a change causes. State is written through to a KvStore so a broker restart loses nothing.
// Not thread-safe: one thread (the broker's) calls everything.
//
// Behaviour follows shared/spec/aws-iot-jobs-shadow.md; the choices for its open questions (§10)
// are listed in cloud/README.md.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "fota/cloud/kv_store.hpp"
#include "fota/cloud/messages.hpp"
#include "fota/cloud/presigned_url_signer.hpp"

namespace fota::cloud {

struct JobsOptions {
    std::string region = "us-east-1";
    std::string account_id = "123456789012";
};

class JobsService {
public:
    /// Loads any state already in `store`. `store` must outlive the service.
    explicit JobsService(KvStore& store, JobsOptions options = {});
    ~JobsService();
    JobsService(const JobsService&) = delete;
    JobsService& operator=(const JobsService&) = delete;

    /// Signer for `${aws:iot:s3-presigned-url:...}` placeholders; nullptr (the default) leaves
    /// placeholders as they are. Not owned; must outlive the service or be reset first.
    void set_signer(PresignedUrlSigner* signer);

    // ---- Device MQTT API (spec §2) ---------------------------------------------------------

    /// True if `topic` is under `$aws/things/<T>/jobs/` (what handle_request() answers).
    [[nodiscard]] static bool is_jobs_topic(std::string_view topic);

    /// Handles one PUBLISH by `client_id` on a Jobs request topic: get, start-next, <J>/get,
    /// <J>/update. Returns the accepted/rejected reply (addressed to `client_id` only), followed
    /// by the notify / notify-next the change causes (addressed to every subscriber). Unknown
    /// topics get InvalidTopic on <topic>/rejected; bad payloads get InvalidJson/InvalidRequest.
    /// Never throws for bad input.
    Messages handle_request(std::string_view client_id, std::string_view topic,
                            std::string_view payload, std::int64_t now);

    /// Advances timers (in-progress and step timeouts -> TIMED_OUT, retries) and rollouts
    /// (maximumPerMinute, exponentialRate) to `now`. Returns the notifications this causes.
    Messages tick(std::int64_t now);

    // ---- Control plane (spec §8; bodies in AWS's REST JSON shapes) ---------------------------
    // Every call validates its input like AWS and returns InvalidRequestException (400),
    // ResourceNotFoundException (404), ResourceAlreadyExistsException (409),
    // InvalidStateTransitionException (409), VersionConflictException (409) as AWS would.

    /// POST /things/{thingName}; body as the CLI sends it (attributePayload is kept).
    ControlResult create_thing(const std::string& thing_name, const nlohmann::json& body,
                               std::int64_t now);
    /// GET /things/{thingName}
    [[nodiscard]] ControlResult describe_thing(const std::string& thing_name) const;
    /// GET /things[?attributeName=&attributeValue=]
    [[nodiscard]] ControlResult list_things(const ListQuery& query) const;
    /// DELETE /things/{thingName}[?expectedVersion=]: succeeds for a thing that does not exist
    /// (as AWS); VersionConflictException when expected_version is not the thing's version. Its
    /// job executions stay (AWS keeps them too).
    ControlResult delete_thing(const std::string& thing_name,
                               std::optional<std::int64_t> expected_version);

    /// PUT /jobs/{jobId}; `body` is the CreateJob JSON body (targets, document, configs).
    /// Targets must be thing ARNs of existing things (thing groups are not supported yet).
    ControlResult create_job(const std::string& job_id, const nlohmann::json& body,
                             std::int64_t now);
    /// GET /jobs/{jobId} -> {"job":{...}}
    [[nodiscard]] ControlResult describe_job(const std::string& job_id) const;
    /// GET /jobs/{jobId}/job-document -> {"document":"<string, placeholders unreplaced>"}
    [[nodiscard]] ControlResult get_job_document(const std::string& job_id) const;
    /// GET /jobs -> {"jobs":[JobSummary...], "nextToken"?}
    [[nodiscard]] ControlResult list_jobs(const ListQuery& query) const;
    /// PUT /jobs/{jobId}/cancel[?force=true]; body {"reasonCode","comment"} (may be empty).
    ControlResult cancel_job(const std::string& job_id, bool force, const nlohmann::json& body,
                             std::int64_t now);
    /// DELETE /jobs/{jobId}[?force=true]. The job and its executions disappear at once.
    ControlResult delete_job(const std::string& job_id, bool force, std::int64_t now);

    /// GET /things/{thingName}/jobs/{jobId}[?executionNumber=N] -> {"execution":{...}}
    /// (control-plane shape: statusDetails as {"detailsMap":{...}}, thingArn, no jobDocument).
    [[nodiscard]] ControlResult describe_job_execution(const std::string& thing_name,
                                                       const std::string& job_id,
                                                       std::optional<std::int64_t> execution_number,
                                                       std::int64_t now) const;
    /// GET /jobs/{jobId}/things -> {"executionSummaries":[{"thingArn","jobExecutionSummary"}]}
    [[nodiscard]] ControlResult list_job_executions_for_job(const std::string& job_id,
                                                            const ListQuery& query) const;
    /// GET /things/{thingName}/jobs -> {"executionSummaries":[{"jobId","jobExecutionSummary"}]}
    [[nodiscard]] ControlResult list_job_executions_for_thing(const std::string& thing_name,
                                                              const ListQuery& query) const;
    /// PUT /things/{thingName}/jobs/{jobId}/cancel[?force=true]; body {"expectedVersion",
    /// "statusDetails"}. Empty body on success.
    ControlResult cancel_job_execution(const std::string& thing_name, const std::string& job_id,
                                       bool force, const nlohmann::json& body, std::int64_t now);
    /// DELETE /things/{thingName}/jobs/{jobId}/executionNumber/{N}[?force=true]
    ControlResult delete_job_execution(const std::string& thing_name, const std::string& job_id,
                                       std::int64_t execution_number, bool force, std::int64_t now);

    // ---- Fault knobs -------------------------------------------------------------------------

    /// The next UpdateJobExecution from `thing_name` is rejected with `code` (e.g.
    /// "VersionMismatch", "InvalidStateTransition", "InternalError"), whatever its content.
    void reject_next_update(const std::string& thing_name, const std::string& code);

    /// Number of things, jobs and executions held (for tests and metrics).
    [[nodiscard]] std::size_t execution_count() const;

private:
    struct State;
    std::unique_ptr<State> state_;
};

} // namespace fota::cloud
