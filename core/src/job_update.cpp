#include "fota/job_update.hpp"

#include "fota/json_reader.hpp"
#include "fota/json_writer.hpp" // TextBuilder

#include <iterator>

namespace fota {

std::string_view next_state_text(NextState state) {
    switch (state) {
    case NextState::DownloadFirmware:
        return "download_firmware";
    case NextState::ApplyFirmware:
        return "apply_firmware";
    case NextState::None:
        return "none";
    }
    return "none";
}

bool build_job_update(std::span<char> out, UpdateFormat format, const JobUpdate& update,
                      std::string_view& payload) {
    payload = {};
    for (const char c : update.reason) {
        if (static_cast<unsigned char>(c) < 0x20) {
            return false;
        }
    }
    TextBuilder text(out);
    if (format == UpdateFormat::Ncs) {
        // aws_jobs.c: "{\"status\":\"%s\",\"statusDetails\": %s,\"expectedVersion\": \"%d\","
        //             "\"clientToken\": \"%s\"}" with statusDetails NULL and clientToken "".
        text.append("{\"status\":\"")
            .append(execution_status_text(update.status))
            .append("\",\"statusDetails\": null,\"expectedVersion\": \"")
            .append_uint(update.expected_version)
            .append("\",\"clientToken\": \"\"}");
    } else {
        // Appended as text (the keys and enum values need no escaping): less code than a
        // JsonWriter (issue 17).
        text.append("{\"status\":\"")
            .append(execution_status_text(update.status))
            .append("\",\"statusDetails\":{\"nextState\":\"")
            .append(next_state_text(update.next_state));
        if (!update.reason.empty()) {
            text.append("\",\"reason\":\"").append_json_escaped(update.reason);
        }
        text.append("\"}");
        if (update.has_expected_version) {
            text.append(",\"expectedVersion\":\"").append_uint(update.expected_version);
            text.append_char('"');
        }
        text.append(",\"clientToken\":\"").append_json_escaped(update.client_token).append("\"}");
    }
    if (!text.ok()) {
        return false;
    }
    payload = text.view();
    return true;
}

bool build_get_request(std::span<char> out, UpdateFormat format, std::string_view client_token,
                       std::string_view& payload) {
    payload = {};
    TextBuilder text(out);
    if (format == UpdateFormat::Ncs) {
        text.append("{\"clientToken\": \"\"}");
    } else {
        text.append("{\"clientToken\":\"").append_json_escaped(client_token).append("\"}");
    }
    if (!text.ok()) {
        return false;
    }
    payload = text.view();
    return true;
}

namespace {

RejectCode parse_code(const JsonValue& value) {
    // Indexed by RejectCode (a C string per code costs less than a name-and-code pair).
    static constexpr const char* kNames[] = {
        "VersionMismatch",  "InvalidStateTransition", "ResourceNotFound", "TerminalStateReached",
        "RequestThrottled", "InternalError",          "InvalidRequest",   "InvalidJson",
        "InvalidTopic"};
    static_assert(std::size(kNames) == static_cast<std::size_t>(RejectCode::Other));
    std::size_t code = 0;
    while (code < std::size(kNames) && !json_string_equals(value, kNames[code])) {
        ++code;
    }
    return static_cast<RejectCode>(code);
}

void read_state(const JsonValue& state, JobReply& reply) {
    if (state.type != JsonType::Object) {
        return;
    }
    reply.has_execution_state = true;
    JsonValue field;
    if (json_find(state, "status", field) == JsonStatus::Ok) {
        std::array<char, 16> text; // written before read: no memset
        std::size_t length = 0;
        if (json_get_string(field, text, length) == JsonStatus::Ok) {
            reply.state_status = parse_execution_status({text.data(), length});
        }
    }
    std::uint64_t number = 0;
    if (json_find(state, "versionNumber", field) == JsonStatus::Ok &&
        json_get_uint(field, UINT32_MAX, number) == JsonStatus::Ok) {
        reply.has_state_version = true;
        reply.state_version = static_cast<std::uint32_t>(number);
    }
}

} // namespace

bool parse_job_reply(std::string_view payload, JobReply& reply) {
    reply.has_client_token = false;
    reply.client_token_length = 0;
    reply.code = RejectCode::Other;
    reply.has_execution_state = false;
    reply.state_status = ExecutionStatus::Unknown;
    reply.has_state_version = false;
    reply.state_version = 0;
    JsonValue root;
    if (json_parse(payload, root) != JsonStatus::Ok || root.type != JsonType::Object) {
        return false;
    }
    JsonValue field;
    if (json_find(root, "clientToken", field) == JsonStatus::Ok &&
        json_get_string(field, reply.client_token, reply.client_token_length) == JsonStatus::Ok) {
        reply.has_client_token = true;
    }
    if (json_find(root, "code", field) == JsonStatus::Ok) {
        reply.code = parse_code(field);
    }
    // Rejections carry "executionState"; describe replies carry "execution".
    if (json_find(root, "executionState", field) == JsonStatus::Ok ||
        json_find(root, "execution", field) == JsonStatus::Ok) {
        read_state(field, reply);
    }
    return true;
}

} // namespace fota
