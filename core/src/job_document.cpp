#include "fota/job_document.hpp"
#include "fota/text.hpp"

#include "fota/image_version.hpp"
#include "fota/jobs_topics.hpp"
#include "fota/json_reader.hpp"
#include "fota/json_writer.hpp"

namespace fota {
namespace {

constexpr std::array<std::string_view, 8> kStatusNames = {
    "QUEUED", "IN_PROGRESS", "SUCCEEDED", "FAILED", "TIMED_OUT", "REJECTED", "REMOVED", "CANCELED"};

char lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool equals_ignore_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (lower(a[i]) != lower(b[i])) {
            return false;
        }
    }
    return true;
}

// Writes reason = first + second + third; if that does not fit, just first.
void set_reason(JobDocument& doc, std::string_view first, std::string_view second = {},
                std::string_view third = {}) {
    TextBuilder text(doc.reason);
    text.append(first).append(second).append(third);
    if (!text.ok()) {
        TextBuilder fallback(doc.reason);
        fallback.append(first);
    }
}

void set_reason_number(JobDocument& doc, std::string_view first, std::uint64_t number,
                       std::string_view second, std::uint64_t limit) {
    TextBuilder text(doc.reason);
    text.append(first).append_uint(number).append(second).append_uint(limit).append_char(')');
    if (!text.ok()) {
        TextBuilder fallback(doc.reason);
        fallback.append(first);
    }
}

bool is_host_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-' || c == '_';
}

bool is_path_char(char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte > 0x20 && byte != 0x7F && c != '#';
}

// host[:port]; host of [A-Za-z0-9._-], port 1..65535.
bool valid_authority(std::string_view authority, JobDocument& doc) {
    const std::size_t colon = authority.find(':');
    const std::string_view host = slice(authority, 0, colon);
    if (host.empty() || host.size() > kMaxHostLength) {
        set_reason(doc, "URL host is missing or too long");
        return false;
    }
    for (const char c : host) {
        if (!is_host_char(c)) {
            set_reason(doc, "URL host has an invalid character");
            return false;
        }
    }
    if (colon != std::string_view::npos) {
        const std::string_view port = slice(authority, colon + 1);
        std::uint32_t value = 0;
        if (port.empty() || port.size() > 5) {
            set_reason(doc, "URL port is not 1..65535");
            return false;
        }
        for (const char c : port) {
            if (c < '0' || c > '9') {
                set_reason(doc, "URL port is not 1..65535");
                return false;
            }
            value = value * 10 + static_cast<std::uint32_t>(c - '0');
        }
        if (value == 0 || value > 65535) {
            set_reason(doc, "URL port is not 1..65535");
            return false;
        }
    }
    return true;
}

bool scheme_is_https(std::string_view scheme, bool& https) {
    if (!scheme.empty() && scheme.back() == ':') {
        scheme.remove_suffix(1); // "http:" as in the NCS 1.x sample README
    }
    if (equals_ignore_case(scheme, "https")) {
        https = true;
        return true;
    }
    if (equals_ignore_case(scheme, "http")) {
        https = false;
        return true;
    }
    return false;
}

// Builds scheme://authority/path into doc.url; path gets exactly one leading '/'.
bool build_url(JobDocument& doc, bool https, std::string_view authority, std::string_view path) {
    while (path.size() > 1 && path[0] == '/' && path[1] == '/') {
        path.remove_prefix(1);
    }
    for (const char c : path) {
        if (!is_path_char(c)) {
            set_reason(doc, c == ' ' ? "URL path contains a space (dual-path documents are not "
                                       "supported)"
                                     : "URL path contains a control character");
            return false;
        }
    }
    TextBuilder text(doc.url);
    text.append(https ? "https://" : "http://").append(authority);
    if (path.empty() || path[0] != '/') {
        text.append_char('/');
    }
    text.append(path);
    if (!text.ok()) {
        const std::size_t length = (https ? 8 : 7) + authority.size() + path.size() + 1;
        set_reason_number(doc, "URL too long (", length, " > ", kMaxUrlLength);
        doc.url_length = 0;
        return false;
    }
    doc.url_length = text.size();
    doc.https = https;
    return true;
}

bool parse_hex_sha256(std::string_view text, std::array<std::uint8_t, 32>& digest) {
    if (text.size() != 64) {
        return false;
    }
    for (std::size_t i = 0; i < 32; ++i) {
        int value = 0;
        for (std::size_t j = 0; j < 2; ++j) {
            const char c = lower(text[2 * i + j]);
            int nibble = -1;
            if (c >= '0' && c <= '9') {
                nibble = c - '0';
            } else if (c >= 'a' && c <= 'f') {
                nibble = c - 'a' + 10;
            }
            if (nibble < 0) {
                return false;
            }
            value = value * 16 + nibble;
        }
        digest[i] = static_cast<std::uint8_t>(value);
    }
    return true;
}

JobParseResult parse_location(const JsonValue& location, JobDocument& doc) {
    JsonValue url;
    JsonStatus status = json_find(location, "url", url);
    if (status == JsonStatus::Ok) {
        // The URL form wins when present (as in NCS >= 2.5).
        std::array<char, kMaxUrlLength + 1> raw{};
        std::size_t length = 0;
        status = json_get_string(url, raw, length);
        if (status == JsonStatus::TooLong) {
            set_reason_number(doc, "URL too long (", url.raw.size() - 2, " > ", kMaxUrlLength);
            return JobParseResult::InvalidDocument;
        }
        if (status != JsonStatus::Ok) {
            set_reason(doc, "location.url is not a string");
            return JobParseResult::InvalidDocument;
        }
        return normalize_url({raw.data(), length}, doc) ? JobParseResult::Job
                                                        : JobParseResult::InvalidDocument;
    }
    if (status != JsonStatus::NotFound) {
        set_reason(doc, "location.url: ", json_status_text(status));
        return JobParseResult::InvalidDocument;
    }
    JsonValue protocol;
    JsonValue host;
    JsonValue path;
    if (json_find(location, "protocol", protocol) != JsonStatus::Ok ||
        json_find(location, "host", host) != JsonStatus::Ok ||
        json_find(location, "path", path) != JsonStatus::Ok || protocol.type != JsonType::String ||
        host.type != JsonType::String || path.type != JsonType::String) {
        set_reason(doc, "location needs a url or string protocol, host and path");
        return JobParseResult::InvalidDocument;
    }
    std::array<char, 16> scheme_text{};
    std::array<char, kMaxHostLength + 7> host_text{};
    std::array<char, kMaxUrlLength + 1> path_text{};
    std::size_t scheme_length = 0;
    std::size_t host_length = 0;
    std::size_t path_length = 0;
    if (json_get_string(protocol, scheme_text, scheme_length) != JsonStatus::Ok) {
        set_reason(doc, "unsupported protocol (use http or https)");
        return JobParseResult::InvalidDocument;
    }
    bool https = false;
    if (!scheme_is_https({scheme_text.data(), scheme_length}, https)) {
        set_reason(doc, "unsupported protocol '", {scheme_text.data(), scheme_length},
                   "' (use http or https)");
        return JobParseResult::InvalidDocument;
    }
    if (json_get_string(host, host_text, host_length) != JsonStatus::Ok) {
        set_reason(doc, "location.host is too long or invalid");
        return JobParseResult::InvalidDocument;
    }
    if (json_get_string(path, path_text, path_length) != JsonStatus::Ok) {
        set_reason_number(doc, "URL too long (path ", path.raw.size() - 2, " > ", kMaxUrlLength);
        return JobParseResult::InvalidDocument;
    }
    const std::string_view authority{host_text.data(), host_length};
    if (!valid_authority(authority, doc)) {
        return JobParseResult::InvalidDocument;
    }
    return build_url(doc, https, authority, {path_text.data(), path_length})
               ? JobParseResult::Job
               : JobParseResult::InvalidDocument;
}

JobParseResult parse_document(const JsonValue& execution, const JobDocumentOptions& options,
                              JobDocument& doc) {
    JsonValue version;
    JsonStatus status = json_find(execution, "versionNumber", version);
    std::uint64_t number = 0;
    if (status == JsonStatus::Ok && json_get_uint(version, UINT32_MAX, number) == JsonStatus::Ok) {
        doc.has_version_number = true;
        doc.version_number = static_cast<std::uint32_t>(number);
    } else {
        set_reason(doc, "execution.versionNumber is missing or not a 32-bit count");
        return JobParseResult::InvalidDocument;
    }
    JsonValue status_value;
    if (json_find(execution, "status", status_value) == JsonStatus::Ok &&
        status_value.type == JsonType::String) {
        std::array<char, 16> text{};
        std::size_t length = 0;
        if (json_get_string(status_value, text, length) == JsonStatus::Ok) {
            doc.status = parse_execution_status({text.data(), length});
        }
    }
    JsonValue document;
    status = json_find(execution, "jobDocument", document);
    if (status != JsonStatus::Ok || document.type != JsonType::Object) {
        set_reason(doc, "jobDocument is missing or not an object");
        return JobParseResult::InvalidDocument;
    }
    if (!options.required_operation.empty()) {
        JsonValue operation;
        if (json_find(document, "operation", operation) != JsonStatus::Ok ||
            !json_string_equals(operation, options.required_operation)) {
            std::array<char, kMaxOperationLength + 1> text{};
            std::size_t length = 0;
            (void)json_get_string(operation, text, length);
            set_reason(doc, "unsupported operation '", {text.data(), length}, "'");
            return JobParseResult::InvalidDocument;
        }
    }
    JsonValue location;
    status = json_find(document, "location", location);
    if (status != JsonStatus::Ok || location.type != JsonType::Object) {
        set_reason(doc, "location is missing or not an object");
        return JobParseResult::InvalidDocument;
    }
    const JobParseResult location_result = parse_location(location, doc);
    if (location_result != JobParseResult::Job) {
        return location_result;
    }
    const std::uint32_t max_size =
        options.max_image_size != 0 ? options.max_image_size : kMaxImageSize;
    JsonValue size;
    status = json_find(document, "size", size);
    if (status == JsonStatus::Ok) {
        if (json_get_uint(size, UINT32_MAX, number) != JsonStatus::Ok || number == 0) {
            set_reason(doc, "size is not a positive integer");
            return JobParseResult::InvalidDocument;
        }
        if (number > max_size) {
            set_reason_number(doc, "image too large (", number, " bytes > slot ", max_size);
            return JobParseResult::InvalidDocument;
        }
        doc.has_size = true;
        doc.size = static_cast<std::uint32_t>(number);
    } else if (status != JsonStatus::NotFound) {
        set_reason(doc, "size: ", json_status_text(status));
        return JobParseResult::InvalidDocument;
    }
    JsonValue fwversion;
    status = json_find(document, "fwversion", fwversion);
    if (status == JsonStatus::Ok) {
        std::array<char, kMaxVersionStringLength + 1> text{};
        std::size_t length = 0;
        if (json_get_string(fwversion, text, length) != JsonStatus::Ok ||
            !parse_image_version({text.data(), length}, doc.fwversion)) {
            set_reason(doc, "fwversion is not a version like v1.2.3 or 1.2.3+4");
            return JobParseResult::InvalidDocument;
        }
        doc.has_fwversion = true;
    } else if (status != JsonStatus::NotFound) {
        set_reason(doc, "fwversion: ", json_status_text(status));
        return JobParseResult::InvalidDocument;
    }
    JsonValue sha256;
    status = json_find(document, "sha256", sha256);
    if (status == JsonStatus::Ok) {
        std::array<char, 65> text{};
        std::size_t length = 0;
        if (json_get_string(sha256, text, length) != JsonStatus::Ok ||
            !parse_hex_sha256({text.data(), length}, doc.sha256)) {
            set_reason(doc, "sha256 is not 64 hexadecimal digits");
            return JobParseResult::InvalidDocument;
        }
        doc.has_sha256 = true;
    } else if (status != JsonStatus::NotFound) {
        set_reason(doc, "sha256: ", json_status_text(status));
        return JobParseResult::InvalidDocument;
    }
    return JobParseResult::Job;
}

} // namespace

std::string_view execution_status_text(ExecutionStatus status) {
    const auto index = static_cast<std::size_t>(status);
    return index < kStatusNames.size() ? kStatusNames[index] : "UNKNOWN";
}

ExecutionStatus parse_execution_status(std::string_view text) {
    for (std::size_t i = 0; i < kStatusNames.size(); ++i) {
        if (kStatusNames[i] == text) {
            return static_cast<ExecutionStatus>(i);
        }
    }
    return ExecutionStatus::Unknown;
}

bool is_terminal(ExecutionStatus status) {
    return status != ExecutionStatus::Queued && status != ExecutionStatus::InProgress &&
           status != ExecutionStatus::Unknown;
}

std::string_view JobDocument::reason_view() const {
    std::size_t length = 0;
    while (length < reason.size() && reason[length] != '\0') {
        ++length;
    }
    return {reason.data(), length};
}

bool normalize_url(std::string_view url, JobDocument& doc) {
    doc.url_length = 0;
    const std::size_t separator = url.find("://");
    bool https = false;
    if (separator == std::string_view::npos || !scheme_is_https(slice(url, 0, separator), https)) {
        set_reason(doc, "unsupported URL scheme (use http:// or https://)");
        return false;
    }
    std::string_view rest = slice(url, separator + 3);
    const std::size_t fragment = rest.find('#');
    if (fragment != std::string_view::npos) {
        rest = slice(rest, 0, fragment);
    }
    const std::size_t path_start = rest.find_first_of("/?");
    const std::string_view authority = slice(rest, 0, path_start);
    if (authority.find('@') != std::string_view::npos) {
        set_reason(doc, "URL user info is not supported");
        return false;
    }
    if (!valid_authority(authority, doc)) {
        return false;
    }
    const std::string_view path =
        path_start == std::string_view::npos ? std::string_view{} : slice(rest, path_start);
    return build_url(doc, https, authority, path);
}

JobParseResult parse_job_execution(std::string_view payload, const JobDocumentOptions& options,
                                   JobDocument& doc) {
    doc = JobDocument{};
    JsonValue root;
    JsonStatus status = json_parse(payload, root);
    if (status != JsonStatus::Ok) {
        set_reason(doc, "job document: ", json_status_text(status));
        return JobParseResult::InvalidEnvelope;
    }
    if (root.type != JsonType::Object) {
        set_reason(doc, "job document is not a JSON object");
        return JobParseResult::InvalidEnvelope;
    }
    JsonValue execution;
    status = json_find(root, "execution", execution);
    if (status == JsonStatus::NotFound) {
        return JobParseResult::NoJob;
    }
    if (status != JsonStatus::Ok || execution.type != JsonType::Object) {
        set_reason(doc, "execution is not an object");
        return JobParseResult::InvalidEnvelope;
    }
    JsonValue job_id;
    if (json_find(execution, "jobId", job_id) != JsonStatus::Ok ||
        json_get_string(job_id, doc.job_id, doc.job_id_length) != JsonStatus::Ok ||
        !is_valid_job_id(doc.job_id_view(), false)) {
        doc.job_id = {};
        doc.job_id_length = 0;
        set_reason(doc, "execution.jobId is missing or invalid");
        return JobParseResult::InvalidEnvelope;
    }
    if (payload.size() > kMaxJobPayloadSize) {
        set_reason_number(doc, "job document too large (", payload.size(), " bytes > ",
                          kMaxJobPayloadSize);
        // Still pick up the version so that the FAILED update can carry expectedVersion.
        JsonValue version;
        std::uint64_t number = 0;
        if (json_find(execution, "versionNumber", version) == JsonStatus::Ok &&
            json_get_uint(version, UINT32_MAX, number) == JsonStatus::Ok) {
            doc.has_version_number = true;
            doc.version_number = static_cast<std::uint32_t>(number);
        }
        return JobParseResult::InvalidDocument;
    }
    return parse_document(execution, options, doc);
}

} // namespace fota
