// The agent's persisted state: enough to resume after a reboot or a power cut at any point.
// Serialised as a fixed little-endian layout with a magic, a format number and a CRC-32, so a
// torn or foreign record is detected and ignored (the agent then starts idle).
#pragma once

#include "fota/limits.hpp"
#include "fota/ports.hpp"

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace fota {

/// Where the job in hand stands. Idle: no job.
enum class Phase : std::uint8_t {
    Idle,        ///< waiting for a job
    Starting,    ///< IN_PROGRESS {"nextState":"download_firmware"} sent, waiting for accepted
    Downloading, ///< downloading the image with Range requests
    Applying,    ///< image verified; IN_PROGRESS {"nextState":"apply_firmware"} sent
    Succeeding,  ///< SUCCEEDED sent (before the reboot, or after it in the verified profile)
    Rebooting,   ///< upgrade requested and reboot issued; evaluated at the next boot
    Confirming,  ///< the new image booted unconfirmed: confirm once MQTT is connected
    Failing,     ///< FAILED (with reason) sent, waiting for accepted
};

/// Everything persisted but the characters of the URL and of the failure reason: those live in
/// the record itself (its text fields, see StateTexts), so that the agent keeps one copy of each.
struct PersistedState {
    Phase phase = Phase::Idle;
    std::array<char, kMaxJobIdLength + 1> job_id{};
    std::size_t job_id_length = 0;
    bool has_version_number = false;
    std::uint32_t version_number = 0; ///< the execution's versionNumber as last known
    std::size_t url_length = 0;       ///< of the URL in the record's URL field
    bool has_size = false;            ///< from the job document
    std::uint32_t size = 0;
    bool total_known = false; ///< from the job document or a Content-Range
    std::uint32_t total = 0;
    std::uint32_t download_offset = 0; ///< bytes of the image safely in flash (write-aligned)
    bool has_sha256 = false;
    std::array<std::uint8_t, 32> sha256{};
    bool has_target_version = false;
    ImageVersion target_version;     ///< the job's fwversion
    ImageVersion from_version;       ///< the version running when the job was taken
    std::uint8_t apply_attempts = 0; ///< reboots into the update so far
    std::size_t reason_length = 0;   ///< of the failure reason in the record's reason field

    std::string_view job_id_view() const { return {job_id.data(), job_id_length}; }
    /// Back to idle: every field as default-constructed (one copy of that code on the target).
    void reset();
};

/// The record: magic, CRC-32 (of every byte after it), format, the fields of PersistedState,
/// then its text fields: the failure reason (kMaxReasonLength bytes at kStateRecordReasonOffset)
/// and the URL (kMaxUrlLength + 1 bytes at kStateRecordUrlOffset), each its text and zeros.
inline constexpr std::size_t kStateRecordReasonOffset =
    4 + 4 + 1 + 1 + 1 + 1 + 7 * 4 + 2 * 8 + 32 + 1 + kMaxJobIdLength + 2 + 1;
inline constexpr std::size_t kStateRecordUrlOffset = kStateRecordReasonOffset + kMaxReasonLength;
/// Bytes of a serialised record (fixed).
inline constexpr std::size_t kStateRecordSize = kStateRecordUrlOffset + kMaxUrlLength + 1;
static_assert(kStateRecordSize <= kStateRecordCapacity);

/// The texts of a state, kept apart from PersistedState: state.url_length and
/// state.reason_length characters of them are used. They may already lie in the record's text
/// fields (the agent's case: it keeps them nowhere else).
struct StateTexts {
    std::string_view url;
    std::string_view reason;
};

/// The text fields of a record (record holds at least kStateRecordSize bytes).
std::span<char> state_record_url_field(std::span<std::uint8_t> record);
std::span<char> state_record_reason_field(std::span<std::uint8_t> record);
/// The texts of a decoded record: state.url_length / state.reason_length characters of its
/// fields (empty if record is too small or a length too large).
std::string_view state_record_url(std::span<const std::uint8_t> record,
                                  const PersistedState& state);
std::string_view state_record_reason(std::span<const std::uint8_t> record,
                                     const PersistedState& state);

/// Serialise state and its texts into out (at least kStateRecordSize bytes); returns the bytes
/// used, 0 if out is too small, a length is beyond its limit or a text shorter than its length.
std::size_t encode_state(const PersistedState& state, const StateTexts& texts,
                         std::span<std::uint8_t> out);

enum class StateDecodeStatus : std::uint8_t {
    Ok,
    WrongSize,
    BadMagic,
    BadFormat,
    BadCrc,
    BadField
};

/// Parse a record (the texts stay in its fields: state_record_url, state_record_reason);
/// anything but Ok leaves state idle (default).
StateDecodeStatus decode_state(std::span<const std::uint8_t> record, PersistedState& state);

/// CRC-32 (IEEE 802.3, reflected, as zlib).
std::uint32_t crc32(std::span<const std::uint8_t> data);

} // namespace fota
