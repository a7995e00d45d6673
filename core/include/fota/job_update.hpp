// UpdateJobExecution payloads ($aws/things/T/jobs/J/update), byte for byte per format, and the
// parts of the replies the agent reads.
#pragma once

#include "fota/job_document.hpp"
#include "fota/limits.hpp"

#include <cstdint>
#include <span>
#include <string_view>

namespace fota {

/// How update payloads are spelled.
enum class UpdateFormat : std::uint8_t {
    /// The seed's flow: compact JSON, statusDetails {"nextState":...} (+ "reason" on FAILED),
    /// expectedVersion as a JSON string, a fresh clientToken per request:
    /// {"status":"IN_PROGRESS","statusDetails":{"nextState":"download_firmware"},
    ///  "expectedVersion":"1","clientToken":"0f3a9c41"}
    Seed,
    /// NCS >= 1.3 aws_jobs, byte for byte (statusDetails always null, empty clientToken):
    /// {"status":"IN_PROGRESS","statusDetails": null,"expectedVersion": "1","clientToken": ""}
    Ncs,
};

/// The nextState values of the seed.
enum class NextState : std::uint8_t { DownloadFirmware, ApplyFirmware, None };
std::string_view next_state_text(NextState state);

struct JobUpdate {
    ExecutionStatus status = ExecutionStatus::InProgress;
    NextState next_state = NextState::DownloadFirmware;
    std::string_view reason; ///< FAILED only (Seed format): statusDetails.reason
    bool has_expected_version = true;
    std::uint32_t expected_version = 0;
    std::string_view client_token; ///< Seed format only
};

/// Build the payload into out. False if it does not fit (out then holds nothing usable) or if
/// the reason has a character AWS refuses in statusDetails (control characters).
bool build_job_update(std::span<char> out, UpdateFormat format, const JobUpdate& update,
                      std::string_view& payload);

/// Build a DescribeJobExecution / $next get request: {"clientToken":"<token>"} (Seed) or
/// {"clientToken": ""} (Ncs).
bool build_get_request(std::span<char> out, UpdateFormat format, std::string_view client_token,
                       std::string_view& payload);

/// The Jobs rejection codes the agent acts on.
enum class RejectCode : std::uint8_t {
    VersionMismatch,
    InvalidStateTransition,
    ResourceNotFound,
    TerminalStateReached,
    RequestThrottled,
    InternalError,
    InvalidRequest,
    InvalidJson,
    InvalidTopic,
    Other,
};

/// What the agent reads from an accepted or rejected reply. Plain data, not initialised by a
/// declaration: parse_job_reply writes every field (client_token_length characters of the token).
struct JobReply {
    bool has_client_token;
    std::array<char, 65> client_token;
    std::size_t client_token_length;
    RejectCode code;          ///< rejected replies; Other if absent or unknown
    bool has_execution_state; ///< executionState present (rejected) or execution
    ExecutionStatus state_status;
    bool has_state_version;
    std::uint32_t state_version;

    std::string_view client_token_view() const {
        return {client_token.data(), client_token_length};
    }
};

/// Parse an update/get accepted or rejected reply. False if it is not a JSON object (reply is
/// written all the same: nothing found).
bool parse_job_reply(std::string_view payload, JobReply& reply);

} // namespace fota
