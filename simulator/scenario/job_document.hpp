// The job document a create_job step stands for: one of the templates, or the scenario's own
// document with its ${firmware.*} placeholders replaced by where the runner published the image.
#pragma once

#include "scenario/scenario.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace fota::sim {

/// Where the runner published a firmware image, and what it published.
struct PublishedFirmware {
    std::string protocol; ///< "http" or "https"
    std::string host;     ///< host[:port], as in an HTTP Host header
    std::string path;     ///< object path without the leading '/', with any query
    std::string url;      ///< protocol://host/path
    std::string s3_url;   ///< https://s3.<region>.amazonaws.com/<bucket>/<key> (placeholder form)
    std::string sha256;   ///< lowercase hex SHA-256 of the image as generated
};

/// The placeholders an explicit document may use ("${firmware.url}", ...), by name ("url", ...).
const std::vector<std::string_view>& firmware_placeholder_names();

/// Names used in strings of document as ${firmware.<name>} that are not placeholders, in order of
/// appearance, without duplicates. An unterminated "${firmware." counts as the name "" .
std::vector<std::string> unknown_firmware_placeholders(const nlohmann::json& document);

/// The job document: for a template, {"operation":"app_fw_update","fwversion","size","location"}
/// with location {protocol (the step's, else the published one's), host, path} (host_path), {url}
/// (url), or {url: "${aws:iot:s3-presigned-url:<s3_url>}"} (presigned_url). For an explicit
/// document, a copy with every ${firmware.<name>} in strings replaced; a string that is exactly
/// "${firmware.size}" becomes the number. Unknown placeholders are left as written (the parser
/// refuses them).
nlohmann::json build_job_document(const CreateJobStep& job, const Firmware& firmware,
                                  const PublishedFirmware& published);

} // namespace fota::sim
