#include "fota/job_document.hpp"
#include "fota/text.hpp"

#include <cstring>

#include "fota/image_version.hpp"
#include "fota/jobs_topics.hpp"
#include "fota/json_reader.hpp"
#include "fota/json_writer.hpp"

namespace fota {
namespace {

constexpr std::array<std::string_view, 8> kStatusNames = {
    "QUEUED", "IN_PROGRESS", "SUCCEEDED", "FAILED", "TIMED_OUT", "REJECTED", "REMOVED", "CANCELED"};

// Writes reason = token, or token + ' ' + detail when there is one; if that does not fit, just the
// token. The token is a C string: cheaper at each call site than a std::string_view (issue 17).
void set_reason(JobDocument& doc, const char* first, std::string_view second = {}) {
    TextBuilder text(doc.reason);
    text.append(first);
    if (!second.empty()) {
        text.append_char(' ').append(second);
    }
    if (!text.ok()) {
        TextBuilder fallback(doc.reason);
        fallback.append(first);
    }
}

// reason = token + ' ' + number.
void set_reason_number(JobDocument& doc, const char* first, std::size_t number) {
    char digits[20];
    set_reason(doc, first, {digits, format_decimal(number, digits)});
}

bool is_host_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-' || c == '_';
}

bool is_path_char(char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte > 0x20 && byte != 0x7F && c != '#';
}

// The index of the first character of text that is one of set's, text.size() if none: one loop
// instead of std::string_view's find family (which links memchr) (issue 17).
std::size_t find_first(std::string_view text, const char* set) {
    std::size_t i = 0;
    for (; i < text.size(); ++i) {
        for (const char* c = set; *c != '\0'; ++c) {
            if (text[i] == *c) {
                return i;
            }
        }
    }
    return i;
}

// host[:port]; host of [A-Za-z0-9._-], port 1..65535.
bool valid_authority(std::string_view authority, JobDocument& doc) {
    const std::size_t colon = find_first(authority, ":");
    const std::string_view host = slice(authority, 0, colon);
    if (host.empty() || host.size() > kMaxHostLength) {
        set_reason(doc, "url_host_length");
        return false;
    }
    for (const char c : host) {
        if (!is_host_char(c)) {
            set_reason(doc, "url_host_char");
            return false;
        }
    }
    if (colon != authority.size()) {
        const std::string_view port = slice(authority, colon + 1);
        std::uint32_t value = 0;
        if (port.empty() || port.size() > 5) {
            set_reason(doc, "url_port_invalid");
            return false;
        }
        for (const char c : port) {
            if (c < '0' || c > '9') {
                set_reason(doc, "url_port_invalid");
                return false;
            }
            value = value * 10 + static_cast<std::uint32_t>(c - '0');
        }
        if (value == 0 || value > 65535) {
            set_reason(doc, "url_port_invalid");
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

// Checks the path characters of a URL (spaces, '#' and control characters are refused).
bool valid_path(std::string_view path, JobDocument& doc) {
    for (const char c : path) {
        if (!is_path_char(c)) {
            set_reason(doc, c == ' ' ? "url_path_space" : "url_path_char");
            return false;
        }
    }
    return true;
}

void url_too_long(JobDocument& doc, std::size_t length) {
    set_reason_number(doc, "url_too_long", length);
    doc.url_length = 0;
    if (!doc.url.empty()) {
        doc.url[0] = '\0';
    }
}

// Normalises doc.url[0, length) in place (no second URL-sized buffer on the stack).
bool normalize_in_place(JobDocument& doc, std::size_t length) {
    char* const url = doc.url.data();
    const std::string_view in(url, length);
    std::size_t separator = find_first(in, ":");
    while (separator < in.size() && slice(in, separator, 3) != "://") {
        separator += 1 + find_first(slice(in, separator + 1), ":");
    }
    bool https = false;
    if (separator == in.size() || !scheme_is_https(slice(in, 0, separator), https)) {
        set_reason(doc, "url_scheme_unsupported");
        return false;
    }
    const std::size_t authority_start = separator + 3;
    // Without the fragment.
    std::string_view rest = slice(in, authority_start);
    rest = slice(rest, 0, find_first(rest, "#"));
    const std::size_t path_start = find_first(rest, "/?");
    const std::string_view authority = slice(rest, 0, path_start);
    if (find_first(authority, "@") != authority.size()) {
        set_reason(doc, "url_user_info");
        return false;
    }
    if (!valid_authority(authority, doc)) {
        return false;
    }
    // An absent path is the empty view at the end of rest (never a null view).
    std::string_view path = slice(rest, path_start);
    while (path.size() > 1 && path[0] == '/' && path[1] == '/') {
        path.remove_prefix(1);
    }
    if (!valid_path(path, doc)) {
        return false;
    }
    const std::size_t prefix = https ? 8 : 7;
    const std::size_t slash = (path.empty() || path[0] != '/') ? 1 : 0;
    const std::size_t total = prefix + authority.size() + slash + path.size();
    if (total > kMaxUrlLength) {
        url_too_long(doc, total);
        return false;
    }
    // The authority only moves left (prefix <= authority_start); the path lies after it.
    const auto path_offset = static_cast<std::size_t>(path.data() - url);
    std::memmove(url + prefix, url + authority_start, authority.size());
    std::memmove(url + prefix + authority.size() + slash, url + path_offset, path.size());
    std::memcpy(url, https ? "https://" : "http://", prefix);
    if (slash != 0) {
        url[prefix + authority.size()] = '/';
    }
    url[total] = '\0';
    doc.url_length = total;
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
            const char c = ascii_lower(text[2 * i + j]);
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
        std::size_t length = 0;
        status = json_get_string(url, doc.url, length);
        if (status == JsonStatus::TooLong) {
            url_too_long(doc, url.size - 2);
            return JobParseResult::InvalidDocument;
        }
        if (status != JsonStatus::Ok) {
            set_reason(doc, "location.url_invalid");
            return JobParseResult::InvalidDocument;
        }
        return normalize_in_place(doc, length) ? JobParseResult::Job
                                               : JobParseResult::InvalidDocument;
    }
    if (status != JsonStatus::NotFound) {
        set_reason(doc, "location.url", json_status_text(status));
        return JobParseResult::InvalidDocument;
    }
    JsonValue protocol;
    JsonValue host;
    JsonValue path;
    if (json_find(location, "protocol", protocol) != JsonStatus::Ok ||
        json_find(location, "host", host) != JsonStatus::Ok ||
        json_find(location, "path", path) != JsonStatus::Ok || protocol.type != JsonType::String ||
        host.type != JsonType::String || path.type != JsonType::String) {
        set_reason(doc, "location_incomplete");
        return JobParseResult::InvalidDocument;
    }
    std::array<char, 16> scheme_text; // written before read: no memset
    std::size_t scheme_length = 0;
    if (json_get_string(protocol, scheme_text, scheme_length) != JsonStatus::Ok) {
        set_reason(doc, "protocol_unsupported");
        return JobParseResult::InvalidDocument;
    }
    bool https = false;
    if (!scheme_is_https({scheme_text.data(), scheme_length}, https)) {
        set_reason(doc, "protocol_unsupported", {scheme_text.data(), scheme_length});
        return JobParseResult::InvalidDocument;
    }
    // Assembled in place as scheme "://" host "/" path, then normalised as the url form is; the
    // host and the path are checked first, as they are (a '/' or '@' in the host, a '#' in the
    // path would read differently in a URL).
    const std::size_t prefix = https ? 8 : 7;
    char* const out = doc.url.data();
    std::size_t host_length = 0;
    if (json_get_string(host, doc.url.subspan(prefix, kMaxHostLength + 7), host_length) !=
        JsonStatus::Ok) {
        set_reason(doc, "location.host_invalid");
        return JobParseResult::InvalidDocument;
    }
    if (!valid_authority({out + prefix, host_length}, doc)) {
        return JobParseResult::InvalidDocument;
    }
    const std::size_t base = prefix + host_length;
    std::size_t path_length = 0;
    const JsonStatus path_status = json_get_string(path, doc.url.subspan(base + 1), path_length);
    if (path_status == JsonStatus::TooLong) {
        url_too_long(doc, base + path.size - 1);
        return JobParseResult::InvalidDocument;
    }
    if (path_status != JsonStatus::Ok) {
        set_reason(doc, "location.path", json_status_text(path_status));
        return JobParseResult::InvalidDocument;
    }
    if (!valid_path({out + base + 1, path_length}, doc)) {
        return JobParseResult::InvalidDocument;
    }
    std::memcpy(out, https ? "https://" : "http://", prefix);
    out[base] = '/';
    return normalize_in_place(doc, base + 1 + path_length) ? JobParseResult::Job
                                                           : JobParseResult::InvalidDocument;
}

// Clears doc field by field: "doc = JobDocument{}" would build a 2.3 KiB temporary on the stack.
void reset_document(JobDocument& doc) {
    doc.job_id = {}; // whole: the agent copies the array into its state
    doc.job_id_length = 0;
    doc.has_version_number = false;
    doc.version_number = 0;
    doc.status = ExecutionStatus::Unknown;
    if (!doc.url.empty()) {
        doc.url[0] = '\0';
    }
    doc.url_length = 0;
    doc.https = false;
    doc.has_size = false;
    doc.size = 0;
    doc.has_sha256 = false;
    doc.sha256 = {};
    doc.has_fwversion = false;
    doc.fwversion = ImageVersion{};
    doc.reason[0] = '\0';
}

// execution.versionNumber into doc; false if it is missing or not a 32-bit count.
bool read_version_number(const JsonValue& execution, JobDocument& doc) {
    JsonValue version;
    std::uint64_t number = 0;
    if (json_find(execution, "versionNumber", version) != JsonStatus::Ok ||
        json_get_uint(version, UINT32_MAX, number) != JsonStatus::Ok) {
        return false;
    }
    doc.has_version_number = true;
    doc.version_number = static_cast<std::uint32_t>(number);
    return true;
}

// An optional member of the job document: Ok (member set) or NotFound; anything else sets the
// reason ("<key> <status>") and is returned as it is.
JsonStatus find_optional(const JsonValue& document, const char* key, JsonValue& member,
                         JobDocument& doc) {
    const JsonStatus status = json_find(document, key, member);
    if (status != JsonStatus::Ok && status != JsonStatus::NotFound) {
        set_reason(doc, key, json_status_text(status));
    }
    return status;
}

JobParseResult parse_document(const JsonValue& execution, const JobDocumentOptions& options,
                              JobDocument& doc) {
    if (!read_version_number(execution, doc)) {
        set_reason(doc, "execution.versionNumber_invalid");
        return JobParseResult::InvalidDocument;
    }
    std::uint64_t number = 0;
    JsonStatus status = JsonStatus::Ok;
    JsonValue status_value;
    if (json_find(execution, "status", status_value) == JsonStatus::Ok &&
        status_value.type == JsonType::String) {
        std::array<char, 16> text; // written before read: no memset
        std::size_t length = 0;
        if (json_get_string(status_value, text, length) == JsonStatus::Ok) {
            doc.status = parse_execution_status({text.data(), length});
        }
    }
    JsonValue document;
    status = json_find(execution, "jobDocument", document);
    if (status != JsonStatus::Ok || document.type != JsonType::Object) {
        set_reason(doc, "jobDocument_invalid");
        return JobParseResult::InvalidDocument;
    }
    if (!options.required_operation.empty()) {
        JsonValue operation;
        if (json_find(document, "operation", operation) != JsonStatus::Ok ||
            !json_string_equals(operation, options.required_operation)) {
            std::array<char, kMaxOperationLength + 1> text; // written before read: no memset
            std::size_t length = 0;
            (void)json_get_string(operation, text, length);
            set_reason(doc, "operation_unsupported", {text.data(), length});
            return JobParseResult::InvalidDocument;
        }
    }
    JsonValue location;
    status = json_find(document, "location", location);
    if (status != JsonStatus::Ok || location.type != JsonType::Object) {
        set_reason(doc, "location_invalid");
        return JobParseResult::InvalidDocument;
    }
    if (!doc.url.empty()) {
        const JobParseResult location_result = parse_location(location, doc);
        if (location_result != JobParseResult::Job) {
            return location_result;
        }
    }
    const std::uint32_t max_size =
        options.max_image_size != 0 ? options.max_image_size : kMaxImageSize;
    JsonValue size;
    status = find_optional(document, "size", size, doc);
    if (status == JsonStatus::Ok) {
        if (json_get_uint(size, UINT32_MAX, number) != JsonStatus::Ok || number == 0) {
            set_reason(doc, "size_invalid");
            return JobParseResult::InvalidDocument;
        }
        if (number > max_size) {
            set_reason_number(doc, "image_too_large", static_cast<std::size_t>(number));
            return JobParseResult::InvalidDocument;
        }
        doc.has_size = true;
        doc.size = static_cast<std::uint32_t>(number);
    } else if (status != JsonStatus::NotFound) {
        return JobParseResult::InvalidDocument;
    }
    JsonValue fwversion;
    status = find_optional(document, "fwversion", fwversion, doc);
    if (status == JsonStatus::Ok) {
        std::array<char, kMaxVersionStringLength + 1> text; // written before read: no memset
        std::size_t length = 0;
        if (json_get_string(fwversion, text, length) != JsonStatus::Ok ||
            !parse_image_version({text.data(), length}, doc.fwversion)) {
            set_reason(doc, "fwversion_invalid");
            return JobParseResult::InvalidDocument;
        }
        doc.has_fwversion = true;
    } else if (status != JsonStatus::NotFound) {
        return JobParseResult::InvalidDocument;
    }
    JsonValue sha256;
    status = find_optional(document, "sha256", sha256, doc);
    if (status == JsonStatus::Ok) {
        std::array<char, 65> text; // written before read: no memset
        std::size_t length = 0;
        if (json_get_string(sha256, text, length) != JsonStatus::Ok ||
            !parse_hex_sha256({text.data(), length}, doc.sha256)) {
            set_reason(doc, "sha256_invalid");
            return JobParseResult::InvalidDocument;
        }
        doc.has_sha256 = true;
    } else if (status != JsonStatus::NotFound) {
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
    if (url.size() > kMaxUrlLength || url.size() >= doc.url.size()) {
        url_too_long(doc, url.size());
        return false;
    }
    std::memmove(doc.url.data(), url.data(), url.size()); // url may be doc.url itself
    return normalize_in_place(doc, url.size());
}

JobParseResult parse_job_execution(std::string_view payload, const JobDocumentOptions& options,
                                   JobDocument& doc) {
    reset_document(doc);
    JsonValue root;
    JsonStatus status = json_parse(payload, root);
    if (status != JsonStatus::Ok) {
        set_reason(doc, "job_document", json_status_text(status));
        return JobParseResult::InvalidEnvelope;
    }
    if (root.type != JsonType::Object) {
        set_reason(doc, "job_document_not_object");
        return JobParseResult::InvalidEnvelope;
    }
    JsonValue execution;
    status = json_find(root, "execution", execution);
    if (status == JsonStatus::NotFound) {
        return JobParseResult::NoJob;
    }
    if (status != JsonStatus::Ok || execution.type != JsonType::Object) {
        set_reason(doc, "execution_invalid");
        return JobParseResult::InvalidEnvelope;
    }
    JsonValue job_id;
    if (json_find(execution, "jobId", job_id) != JsonStatus::Ok ||
        json_get_string(job_id, doc.job_id, doc.job_id_length) != JsonStatus::Ok ||
        !is_valid_job_id(doc.job_id_view(), false)) {
        doc.job_id = {};
        doc.job_id_length = 0;
        set_reason(doc, "execution.jobId_invalid");
        return JobParseResult::InvalidEnvelope;
    }
    if (payload.size() > kMaxJobPayloadSize) {
        set_reason_number(doc, "job_document_too_large", payload.size());
        // Still pick up the version so that the FAILED update can carry expectedVersion.
        (void)read_version_number(execution, doc);
        return JobParseResult::InvalidDocument;
    }
    return parse_document(execution, options, doc);
}

} // namespace fota
