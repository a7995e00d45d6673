// How a recording writes its values: hex, texts, the names of the core's enums, the flash
// geometry, the boot information and the profile.
#include "fota/record/recording.hpp"

#include <algorithm>
#include <array>

namespace fota::record {

using nlohmann::json;

namespace {

// Looks a name up in a table indexed by the enum's value.
template <typename Enum, std::size_t N>
std::optional<Enum> find_name(const std::array<std::string_view, N>& names, std::string_view name) {
    const auto found = std::find(names.begin(), names.end(), name);
    if (found == names.end()) {
        return std::nullopt;
    }
    return static_cast<Enum>(found - names.begin());
}

template <std::size_t N>
std::string_view name_at(const std::array<std::string_view, N>& names, std::size_t index) {
    return index < N ? names[index] : std::string_view("unknown");
}

constexpr std::array<std::string_view, 5> kStatusNames = {"ok", "not_connected", "busy",
                                                          "not_found", "error"};
constexpr std::array<std::string_view, kTimerCount> kTimerNames = {
    "download_retry", "download_stall", "update_response", "job_check", "shadow_retry"};
constexpr std::array<std::string_view, 6> kHttpErrorNames = {
    "timeout", "connection_reset", "connect_failed", "name_resolution", "tls", "other"};
constexpr std::array<std::string_view, 4> kLogLevelNames = {"debug", "info", "warning", "error"};
constexpr std::array<std::string_view, 3> kTransportNames = {"https", "mqtt", "none"};
constexpr std::array<std::string_view, 2> kUpdateFormatNames = {"seed", "ncs"};
constexpr std::array<std::string_view, 10> kInputNames = {
    "boot",        "connected", "disconnected", "message",    "http_status",
    "http_header", "http_body", "http_done",    "http_error", "timer"};

bool printable(std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return (byte >= 0x20 && byte < 0x7f) || c == '\t' || c == '\n' || c == '\r';
    });
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

} // namespace

std::string to_hex(std::span<const std::uint8_t> bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(bytes.size() * 2);
    for (const std::uint8_t byte : bytes) {
        hex.push_back(kDigits[byte >> 4]);
        hex.push_back(kDigits[byte & 0x0f]);
    }
    return hex;
}

std::optional<std::vector<std::uint8_t>> from_hex(std::string_view hex) {
    if (hex.size() % 2 != 0) {
        return std::nullopt;
    }
    std::vector<std::uint8_t> bytes;
    bytes.reserve(hex.size() / 2);
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        const int high = hex_digit(hex[i]);
        const int low = hex_digit(hex[i + 1]);
        if (high < 0 || low < 0) {
            return std::nullopt;
        }
        bytes.push_back(static_cast<std::uint8_t>(high * 16 + low));
    }
    return bytes;
}

void put_text(json& object, const std::string& key, std::string_view text) {
    if (printable(text)) {
        object[key] = std::string(text);
        return;
    }
    object[key + "_hex"] =
        to_hex(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

std::optional<std::string> get_text(const json& object, const std::string& key) {
    if (const auto found = object.find(key); found != object.end()) {
        if (!found->is_string()) {
            return std::nullopt;
        }
        return found->get<std::string>();
    }
    const auto found = object.find(key + "_hex");
    if (found == object.end() || !found->is_string()) {
        return std::nullopt;
    }
    const auto bytes = from_hex(found->get_ref<const std::string&>());
    if (!bytes) {
        return std::nullopt;
    }
    return std::string(bytes->begin(), bytes->end());
}

std::string_view status_name(PortStatus status) {
    return name_at(kStatusNames, static_cast<std::size_t>(status));
}
std::optional<PortStatus> parse_status(std::string_view name) {
    return find_name<PortStatus>(kStatusNames, name);
}
std::string_view timer_name(TimerId id) {
    return name_at(kTimerNames, static_cast<std::size_t>(id));
}
std::optional<TimerId> parse_timer(std::string_view name) {
    return find_name<TimerId>(kTimerNames, name);
}
std::string_view http_error_name(HttpError error) {
    return name_at(kHttpErrorNames, static_cast<std::size_t>(error));
}
std::optional<HttpError> parse_http_error(std::string_view name) {
    return find_name<HttpError>(kHttpErrorNames, name);
}
std::string_view log_level_name(LogLevel level) {
    return name_at(kLogLevelNames, static_cast<std::size_t>(level));
}

std::string_view input_name(Input::Kind kind) {
    return name_at(kInputNames, static_cast<std::size_t>(kind));
}
std::optional<Input::Kind> parse_input_name(std::string_view name) {
    return find_name<Input::Kind>(kInputNames, name);
}

std::string describe_input(const Input& input) {
    std::string text(input_name(input.kind));
    const std::string id = " #" + std::to_string(input.request_id);
    switch (input.kind) {
    case Input::Kind::Boot:
    case Input::Kind::Disconnected:
        break;
    case Input::Kind::Connected:
        text += input.session_present ? " session_present" : " clean";
        break;
    case Input::Kind::Message:
        text += " " + input.topic + " (" + std::to_string(input.payload.size()) + " bytes)";
        break;
    case Input::Kind::HttpStatus:
        text += id + " " + std::to_string(input.status);
        break;
    case Input::Kind::HttpHeader:
        text += id + " " + input.name + ": " + input.value;
        break;
    case Input::Kind::HttpBody:
        text += id + " (" + std::to_string(input.data.size()) + " bytes)";
        break;
    case Input::Kind::HttpDone:
        text += id;
        break;
    case Input::Kind::HttpError:
        text += id + " " + std::string(http_error_name(input.error));
        break;
    case Input::Kind::Timer:
        text += " " + std::string(timer_name(input.timer));
        break;
    }
    return text;
}

json geometry_json(const FlashGeometry& geometry) {
    return {{"slot_size", geometry.slot_size},
            {"erase_page_size", geometry.erase_page_size},
            {"write_block_size", geometry.write_block_size}};
}

json boot_info_json(const BootInfo& info) {
    return {{"running",
             {info.running.major, info.running.minor, info.running.revision, info.running.build}},
            {"confirmed", info.confirmed},
            {"reverted", info.reverted}};
}

// ---- RecordedProfile ------------------------------------------------------------------------

RecordedProfile::RecordedProfile(const Profile& profile)
    : values_(profile), name_(profile.name), shadow_version_key_(profile.shadow_version_key),
      required_operation_(profile.required_operation) {}

Profile RecordedProfile::profile() const {
    Profile profile = values_;
    profile.name = name_;
    profile.shadow_version_key = shadow_version_key_;
    profile.required_operation = required_operation_;
    return profile;
}

json RecordedProfile::to_json() const {
    const DownloadPolicyConfig& d = values_.download;
    return {
        {"name", name_},
        {"report_success_after_boot", values_.report_success_after_boot},
        {"update_format",
         name_at(kUpdateFormatNames, static_cast<std::size_t>(values_.update_format))},
        {"shadow_transport",
         name_at(kTransportNames, static_cast<std::size_t>(values_.shadow_transport))},
        {"shadow_version_key", shadow_version_key_},
        {"unsubscribe_notify_next_during_job", values_.unsubscribe_notify_next_during_job},
        {"subscribe_update_replies", values_.subscribe_update_replies},
        {"permanent_upgrade", values_.permanent_upgrade},
        {"job_check_interval_ms", values_.job_check_interval_ms},
        {"update_response_timeout_ms", values_.update_response_timeout_ms},
        {"max_update_retries", values_.max_update_retries},
        {"required_operation", required_operation_},
        {"download",
         {{"fragment_size", d.fragment_size},
          {"max_attempts", d.max_attempts},
          {"backoff_initial_ms", d.backoff_initial_ms},
          {"backoff_max_ms", d.backoff_max_ms},
          {"jitter_percent", d.jitter_percent},
          {"stall_timeout_ms", d.stall_timeout_ms},
          {"max_url_refreshes", d.max_url_refreshes}}},
    };
}

namespace {

// Reads one field into out; false (and what is wrong in error) when it is missing or mistyped.
bool read_field(const json& object, const char* key, bool& out, std::string& error) {
    const auto found = object.find(key);
    if (found == object.end() || !found->is_boolean()) {
        error = std::string("profile.") + key + " must be true or false";
        return false;
    }
    out = found->get<bool>();
    return true;
}

bool read_field(const json& object, const char* key, std::uint32_t& out, std::string& error) {
    const auto found = object.find(key);
    if (found == object.end() || !found->is_number_unsigned() ||
        found->get<std::uint64_t>() > UINT32_MAX) {
        error = std::string("profile.") + key + " must be an unsigned 32-bit number";
        return false;
    }
    out = found->get<std::uint32_t>();
    return true;
}

bool read_field(const json& object, const char* key, std::string& out, std::string& error) {
    const auto found = object.find(key);
    if (found == object.end() || !found->is_string()) {
        error = std::string("profile.") + key + " must be a string";
        return false;
    }
    out = found->get<std::string>();
    return true;
}

template <typename Enum, std::size_t N>
bool read_enum(const json& object, const char* key, const std::array<std::string_view, N>& names,
               Enum& out, std::string& error) {
    std::string text;
    if (!read_field(object, key, text, error)) {
        return false;
    }
    const auto value = find_name<Enum>(names, text);
    if (!value) {
        error = std::string("profile.") + key + " has an unknown value '" + text + "'";
        return false;
    }
    out = *value;
    return true;
}

} // namespace

std::string RecordedProfile::from_json(const json& object) {
    std::string error;
    if (!object.is_object()) {
        return "profile must be an object";
    }
    const auto download = object.find("download");
    if (download == object.end() || !download->is_object()) {
        return "profile.download must be an object";
    }
    Profile& p = values_;
    DownloadPolicyConfig& d = values_.download;
    const bool ok =
        read_field(object, "name", name_, error) &&
        read_field(object, "report_success_after_boot", p.report_success_after_boot, error) &&
        read_enum(object, "update_format", kUpdateFormatNames, p.update_format, error) &&
        read_enum(object, "shadow_transport", kTransportNames, p.shadow_transport, error) &&
        read_field(object, "shadow_version_key", shadow_version_key_, error) &&
        read_field(object, "unsubscribe_notify_next_during_job",
                   p.unsubscribe_notify_next_during_job, error) &&
        read_field(object, "subscribe_update_replies", p.subscribe_update_replies, error) &&
        read_field(object, "permanent_upgrade", p.permanent_upgrade, error) &&
        read_field(object, "job_check_interval_ms", p.job_check_interval_ms, error) &&
        read_field(object, "update_response_timeout_ms", p.update_response_timeout_ms, error) &&
        read_field(object, "max_update_retries", p.max_update_retries, error) &&
        read_field(object, "required_operation", required_operation_, error) &&
        read_field(*download, "fragment_size", d.fragment_size, error) &&
        read_field(*download, "max_attempts", d.max_attempts, error) &&
        read_field(*download, "backoff_initial_ms", d.backoff_initial_ms, error) &&
        read_field(*download, "backoff_max_ms", d.backoff_max_ms, error) &&
        read_field(*download, "jitter_percent", d.jitter_percent, error) &&
        read_field(*download, "stall_timeout_ms", d.stall_timeout_ms, error) &&
        read_field(*download, "max_url_refreshes", d.max_url_refreshes, error);
    return ok ? std::string() : error;
}

} // namespace fota::record
