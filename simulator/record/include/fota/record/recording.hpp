// A recording of one device's FOTA core: what is in a file (JSON lines) and how its values are
// written. The format (simulator/record/README.md):
//
//   line 1    {"type":"header","format":"fota-record","version":1,"thing":...,"profile":{...},
//              "shadow_base_url":...,"storage":{...}}
//   then per boot of the device (a segment):
//             {"type":"boot","boot":N,"seed":S,"storage":{...}}       the core is built anew
//             {"type":"in","input":"message","topic":...,"payload":...}  an input of the core
//             {"type":"out","call":"mqtt.publish","topic":...,"payload":...,"ret":{"status":"ok"}}
//             {"type":"note","note":"power_cut"}                       what the host did
//
// Every line has "i" (its index in the file, from 0) and "t" (milliseconds since the recording
// began, on the device host's clock: virtual on stack sim, the steady clock otherwise). An output
// is compared on every field but "type", "i", "t" and "ret"; "ret" holds what the port returned to
// the core, which a replay hands back. Texts that are not printable ASCII are written as hex under
// the field's name with "_hex" appended; bytes (HTTP body chunks, store records, digests) as hex.
#pragma once

#include <fota/agent.hpp>
#include <fota/ports.hpp>
#include <fota/profile.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fota::record {

inline constexpr std::string_view kFormatName = "fota-record";
inline constexpr int kFormatVersion = 1;

// ---- values as text -------------------------------------------------------------------------

std::string to_hex(std::span<const std::uint8_t> bytes);
/// The bytes of lowercase or uppercase hex; nullopt for an odd length or a non-hex digit.
std::optional<std::vector<std::uint8_t>> from_hex(std::string_view hex);

/// Sets object[key] = text when text is printable ASCII (tab, CR and LF too), else
/// object[key + "_hex"] = its hex.
void put_text(nlohmann::json& object, const std::string& key, std::string_view text);
/// The text put_text wrote under key (or key_hex); nullopt when neither is a valid string.
std::optional<std::string> get_text(const nlohmann::json& object, const std::string& key);

std::string_view status_name(PortStatus status);
std::optional<PortStatus> parse_status(std::string_view name);
std::string_view timer_name(TimerId id);
std::optional<TimerId> parse_timer(std::string_view name);
std::string_view http_error_name(HttpError error);
std::optional<HttpError> parse_http_error(std::string_view name);
std::string_view log_level_name(LogLevel level);

nlohmann::json geometry_json(const FlashGeometry& geometry);
nlohmann::json boot_info_json(const BootInfo& info);

// ---- the core's configuration ---------------------------------------------------------------

/// A fota::Profile with its texts held (Profile holds string_views).
class RecordedProfile {
public:
    RecordedProfile() = default;
    explicit RecordedProfile(const Profile& profile);
    /// The profile; its texts point into this object.
    Profile profile() const;
    nlohmann::json to_json() const;
    /// Empty when every field is present with the right type; else what is wrong.
    std::string from_json(const nlohmann::json& object);

private:
    Profile values_;
    std::string name_ = "default";
    std::string shadow_version_key_ = "nrf_cloud_app_fw_version";
    std::string required_operation_ = "app_fw_update";
};

// ---- a recording as read back ---------------------------------------------------------------

/// An input of the core.
struct Input {
    enum class Kind : std::uint8_t {
        Boot,
        Connected,
        Disconnected,
        Message,
        HttpStatus,
        HttpHeader,
        HttpBody,
        HttpDone,
        HttpError,
        Timer,
    };
    Kind kind = Kind::Boot;
    bool session_present = false;
    std::string topic;   ///< Message
    std::string payload; ///< Message
    std::uint32_t request_id = 0;
    int status = 0;                 ///< HttpStatus
    std::string name;               ///< HttpHeader
    std::string value;              ///< HttpHeader
    std::vector<std::uint8_t> data; ///< HttpBody
    fota::HttpError error = fota::HttpError::Other;
    TimerId timer = TimerId::DownloadRetry;
};

/// The name an "in" line gives the kind ("message"); nullopt for an unknown name.
std::string_view input_name(Input::Kind kind);
std::optional<Input::Kind> parse_input_name(std::string_view name);
/// One line for a trace: the kind and its fields ("message $aws/... (123 bytes)").
std::string describe_input(const Input& input);

/// A port call of the core and what the port returned.
struct Output {
    /// The call and its arguments: the line without "type", "i", "t" and "ret".
    nlohmann::json call;
    PortStatus status = PortStatus::Ok;  ///< for calls that return a status
    FlashGeometry geometry;              ///< flash.geometry
    BootInfo boot_info;                  ///< boot.boot_info
    std::vector<std::uint8_t> record;    ///< store.load when Ok
    std::array<std::uint8_t, 32> digest; ///< flash.sha256 when Ok
};

struct Entry {
    enum class Kind : std::uint8_t { Input, Output, Note };
    Kind kind = Kind::Note;
    std::size_t line = 0; ///< 1-based line of the file
    std::uint64_t index = 0;
    std::int64_t time_ms = 0;
    Input input;
    Output output;
    std::string note;
};

/// One boot of the device: the core built anew with this seed, then its inputs and outputs.
struct Segment {
    std::size_t line = 0;
    std::uint32_t boot = 0;
    std::uint64_t seed = 0;
    nlohmann::json storage; ///< the flash and store at this boot (informative)
    std::vector<Entry> entries;
};

struct Recording {
    int version = 0;
    std::string thing;
    std::string shadow_base_url;
    RecordedProfile profile;
    nlohmann::json storage; ///< the flash and store when the recording began (informative)
    std::vector<Segment> segments;
};

} // namespace fota::record
