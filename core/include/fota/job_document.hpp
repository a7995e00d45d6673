// The job execution envelope (notify-next, $next/get/accepted, <job>/get/accepted) and the FOTA
// job document inside it, in every variant devices meet:
//   {"operation":"app_fw_update","fwversion":"v1.0.2","size":181124,
//    "location":{"protocol":"https","host":"bucket.s3.amazonaws.com","path":"app_update.bin"}}
//   {"operation":"app_fw_update","fwversion":"v1.0.2","size":181124,
//    "location":{"url":"https://host:8443/path?X-Amz-Signature=..."},"sha256":"<64 hex>"}
#pragma once

#include "fota/limits.hpp"
#include "fota/ports.hpp"

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace fota {

/// AWS job execution statuses, in AWS's enum order.
enum class ExecutionStatus : std::uint8_t {
    Queued,
    InProgress,
    Succeeded,
    Failed,
    TimedOut,
    Rejected,
    Removed,
    Canceled,
    Unknown, ///< absent or not one of the above
};

/// The wire name ("IN_PROGRESS", ...); "UNKNOWN" for Unknown.
std::string_view execution_status_text(ExecutionStatus status);
/// Parse a wire name; Unknown if it is none.
ExecutionStatus parse_execution_status(std::string_view text);
/// SUCCEEDED, FAILED, TIMED_OUT, REJECTED, REMOVED and CANCELED are terminal.
bool is_terminal(ExecutionStatus status);

enum class JobParseResult : std::uint8_t {
    Job,             ///< a usable FOTA job: every field of JobDocument is filled in
    NoJob,           ///< a valid envelope without "execution" (nothing pending)
    InvalidEnvelope, ///< no usable job ID (bad JSON, no string jobId, ...): nothing to report to
    InvalidDocument, ///< job_id is known but the job is unusable: report FAILED with reason
};

struct JobDocumentOptions {
    /// The "operation" a FOTA job must carry; empty accepts any (and a missing one).
    std::string_view required_operation = "app_fw_update";
    /// Largest image accepted (the Flash port's slot size); 0 = kMaxImageSize.
    std::uint32_t max_image_size = 0;
};

/// Plain data but for url: a declaration leaves the other fields unset (parse_job_execution sets
/// every one first), so that the agent's document costs no clearing of its own (issue 17).
struct JobDocument {
    std::array<char, kMaxJobIdLength + 1> job_id;
    std::size_t job_id_length;
    bool has_version_number;
    std::uint32_t version_number;
    ExecutionStatus status;
    /// Normalised download URL: scheme "://" host [":" port] path-and-query; the fragment is
    /// dropped, the port is kept, a path gets exactly one leading '/'. Written (NUL-terminated)
    /// into this buffer, the caller's, of at least kMaxUrlLength + 1 bytes: the agent points it
    /// at the one URL field it keeps (see state_record.hpp). Empty: the location is not examined
    /// and no URL is kept, for a caller that needs only the job ID, status and versionNumber.
    std::span<char> url;
    std::size_t url_length;
    bool https;
    bool has_size;
    std::uint32_t size;
    bool has_sha256;
    std::array<std::uint8_t, 32> sha256;
    bool has_fwversion;
    ImageVersion fwversion;
    /// InvalidDocument / InvalidEnvelope: why, for the FAILED statusDetails and the log.
    std::array<char, kMaxReasonLength + 1> reason;

    std::string_view job_id_view() const { return {job_id.data(), job_id_length}; }
    std::string_view url_view() const { return {url.data(), url_length}; }
    std::string_view reason_view() const;
};

/// A JobDocument with a URL buffer of its own (2 KiB), for callers that keep the URL nowhere
/// else (tests, tools).
struct StandaloneJobDocument : JobDocument {
    StandaloneJobDocument() : JobDocument() { url = url_storage; } // every field cleared
    StandaloneJobDocument(const StandaloneJobDocument&) = delete;
    StandaloneJobDocument& operator=(const StandaloneJobDocument&) = delete;
    std::array<char, kMaxUrlLength + 1> url_storage{};
};

/// Parse a job execution envelope. payload beyond kMaxJobPayloadSize is InvalidDocument
/// ("job_document_too_large <bytes>") when its job ID can still be read, else InvalidEnvelope.
/// Never reads outside payload, never allocates; doc is overwritten.
JobParseResult parse_job_execution(std::string_view payload, const JobDocumentOptions& options,
                                   JobDocument& doc);

/// Normalise a download URL (the "url" form) into doc.url / doc.https. False with doc.reason set
/// if the scheme is not http or https, the host is missing or invalid, the port is not 1..65535,
/// there is user info, a space or control character, or the result is longer than kMaxUrlLength.
bool normalize_url(std::string_view url, JobDocument& doc);

} // namespace fota
