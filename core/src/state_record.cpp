#include "fota/state_record.hpp"

#include "fota/jobs_topics.hpp"

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstring>

namespace fota {
namespace {

constexpr std::array<std::uint8_t, 4> kMagic = {'F', 'O', 'T', 'S'};
constexpr std::uint8_t kFormat = 2; // 2: the URL field last, the CRC after the magic
constexpr std::size_t kCrcOffset = 4;
constexpr std::size_t kCrcEnd = kCrcOffset + 4;

enum Flag : std::uint8_t {
    kHasVersionNumber = 1,
    kHasSize = 2,
    kTotalKnown = 4,
    kHasSha = 8,
    kHasTarget = 16,
};

// The fields after the flags byte, in record order: where each lies in PersistedState and how
// many bytes it has in the record (the low bytes of a wider member: both targets are little
// endian). One table and one copy loop each way cost less code than a call per field (issue 17).
struct Field {
    std::uint16_t offset; ///< in PersistedState; kReserved: zeros in the record
    std::uint8_t size;
};
constexpr std::uint16_t kReserved = 0xFFFF;
constexpr Field kFields[] = {
    {offsetof(PersistedState, apply_attempts), 1},
    {offsetof(PersistedState, version_number), 4},
    {offsetof(PersistedState, size), 4},
    {offsetof(PersistedState, total), 4},
    {offsetof(PersistedState, download_offset), 4},
    {kReserved, 12},
    {offsetof(PersistedState, target_version), 8}, // major, minor, revision, build: no padding
    {offsetof(PersistedState, from_version), 8},
    {offsetof(PersistedState, sha256), 32},
    {offsetof(PersistedState, job_id_length), 1},
    {offsetof(PersistedState, job_id), kMaxJobIdLength},
    {offsetof(PersistedState, url_length), 2},
    {offsetof(PersistedState, reason_length), 1},
};
constexpr std::size_t kFieldsOffset = 4 + 4 + 1 + 1 + 1; // magic, CRC, format, phase, flags
constexpr std::size_t kJobIdOffset = kStateRecordReasonOffset - 3 - kMaxJobIdLength;
static_assert(std::endian::native == std::endian::little);
constexpr bool fields_end_at_the_reason() {
    std::size_t pos = kFieldsOffset;
    for (const Field& field : kFields) {
        pos += field.size;
    }
    return pos == kStateRecordReasonOffset;
}
static_assert(fields_end_at_the_reason(), "the layout and the offsets disagree");
static_assert(sizeof(ImageVersion) == 8);

} // namespace

void PersistedState::reset() {
    *this = PersistedState{};
}

namespace {

// CRC-32 (reflected 0xEDB88320) four bits at a time: a 64-byte table, a quarter of the bit-wise
// loop's steps. Every fragment saves the whole record (2.3 KiB), so this loop is the core's
// hottest; a byte-wise table would cost 1 KiB of flash.
struct CrcNibbleTable {
    std::uint32_t entry[16];
};
constexpr CrcNibbleTable crc_nibble_table() {
    CrcNibbleTable table{};
    for (std::uint32_t n = 0; n < 16; ++n) {
        std::uint32_t crc = n;
        for (int bit = 0; bit < 4; ++bit) {
            crc = (crc & 1u) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
        }
        table.entry[n] = crc;
    }
    return table;
}
constexpr CrcNibbleTable kCrcNibble = crc_nibble_table();

} // namespace

std::uint32_t crc32(std::span<const std::uint8_t> data) {
    std::uint32_t crc = 0xFFFFFFFFu;
    for (const std::uint8_t byte : data) {
        crc ^= byte;
        crc = (crc >> 4) ^ kCrcNibble.entry[crc & 15u];
        crc = (crc >> 4) ^ kCrcNibble.entry[crc & 15u];
    }
    return ~crc;
}

std::span<char> state_record_url_field(std::span<std::uint8_t> record) {
    return {reinterpret_cast<char*>(record.data() + kStateRecordUrlOffset), kMaxUrlLength + 1};
}

std::span<char> state_record_reason_field(std::span<std::uint8_t> record) {
    return {reinterpret_cast<char*>(record.data() + kStateRecordReasonOffset), kMaxReasonLength};
}

std::string_view state_record_url(std::span<const std::uint8_t> record,
                                  const PersistedState& state) {
    if (record.size() < kStateRecordSize || state.url_length > kMaxUrlLength) {
        return {};
    }
    return {reinterpret_cast<const char*>(record.data() + kStateRecordUrlOffset), state.url_length};
}

std::string_view state_record_reason(std::span<const std::uint8_t> record,
                                     const PersistedState& state) {
    if (record.size() < kStateRecordSize || state.reason_length > kMaxReasonLength) {
        return {};
    }
    return {reinterpret_cast<const char*>(record.data() + kStateRecordReasonOffset),
            state.reason_length};
}

namespace {

// Moves length characters of text into a record field of field bytes (text may already lie
// there) and clears the rest of the field.
void place_text(std::string_view text, std::size_t length, std::uint8_t* field, std::size_t size) {
    std::memmove(field, text.data(), length);
    std::fill(field + length, field + size, std::uint8_t{0});
}

} // namespace

std::size_t encode_state(const PersistedState& state, const StateTexts& texts,
                         std::span<std::uint8_t> out) {
    if (out.size() < kStateRecordSize || state.url_length > kMaxUrlLength ||
        state.reason_length > kMaxReasonLength || state.job_id_length > kMaxJobIdLength ||
        texts.url.size() < state.url_length || texts.reason.size() < state.reason_length) {
        return 0;
    }
    // The texts first: they may lie in out's fields already.
    place_text(texts.url, state.url_length, out.data() + kStateRecordUrlOffset, kMaxUrlLength + 1);
    place_text(texts.reason, state.reason_length, out.data() + kStateRecordReasonOffset,
               kMaxReasonLength);
    std::uint8_t* const record = out.data();
    std::memcpy(record, kMagic.data(), kMagic.size());
    record[kCrcEnd] = kFormat;
    record[kCrcEnd + 1] = static_cast<std::uint8_t>(state.phase);
    std::uint8_t flags = 0;
    flags |= state.has_version_number ? kHasVersionNumber : 0;
    flags |= state.has_size ? kHasSize : 0;
    flags |= state.total_known ? kTotalKnown : 0;
    flags |= state.has_sha256 ? kHasSha : 0;
    flags |= state.has_target_version ? kHasTarget : 0;
    record[kCrcEnd + 2] = flags;
    const auto* const from = reinterpret_cast<const std::uint8_t*>(&state);
    std::size_t pos = kFieldsOffset;
    for (const Field& field : kFields) {
        if (field.offset == kReserved) {
            std::memset(record + pos, 0, field.size);
        } else {
            std::memcpy(record + pos, from + field.offset, field.size);
        }
        pos += field.size;
    }
    // The job ID's bytes past its length are zero in the record (the state's may not be).
    std::memset(record + kJobIdOffset + state.job_id_length, 0,
                kMaxJobIdLength - state.job_id_length);
    const std::uint32_t crc = crc32(out.subspan(kCrcEnd, kStateRecordSize - kCrcEnd));
    std::memcpy(record + kCrcOffset, &crc, 4);
    return kStateRecordSize;
}

namespace {

StateDecodeStatus decode_into(std::span<const std::uint8_t> record, PersistedState& s) {
    if (record.size() != kStateRecordSize) {
        return StateDecodeStatus::WrongSize;
    }
    if (!std::equal(kMagic.begin(), kMagic.end(), record.begin())) {
        return StateDecodeStatus::BadMagic;
    }
    std::uint32_t crc = 0;
    std::memcpy(&crc, record.data() + kCrcOffset, 4);
    if (crc != crc32(record.subspan(kCrcEnd))) {
        return StateDecodeStatus::BadCrc;
    }
    if (record[kCrcEnd] != kFormat) {
        return StateDecodeStatus::BadFormat;
    }
    const std::uint8_t phase = record[kCrcEnd + 1];
    const std::uint8_t flags = record[kCrcEnd + 2];
    s.reset(); // the wider members' high bytes are zero; the job ID's terminator too
    auto* const to = reinterpret_cast<std::uint8_t*>(&s);
    std::size_t pos = kFieldsOffset;
    for (const Field& field : kFields) {
        if (field.offset != kReserved) {
            std::memcpy(to + field.offset, record.data() + pos, field.size);
        }
        pos += field.size;
    }
    s.has_version_number = (flags & kHasVersionNumber) != 0;
    s.has_size = (flags & kHasSize) != 0;
    s.total_known = (flags & kTotalKnown) != 0;
    s.has_sha256 = (flags & kHasSha) != 0;
    s.has_target_version = (flags & kHasTarget) != 0;
    if (phase > static_cast<std::uint8_t>(Phase::Failing) || s.job_id_length > kMaxJobIdLength ||
        s.url_length > kMaxUrlLength || s.reason_length > kMaxReasonLength ||
        (s.total_known && s.download_offset > s.total)) {
        return StateDecodeStatus::BadField;
    }
    s.phase = static_cast<Phase>(phase);
    s.job_id[s.job_id_length] = '\0';
    if (s.phase != Phase::Idle && !is_valid_job_id(s.job_id_view(), false)) {
        return StateDecodeStatus::BadField;
    }
    return StateDecodeStatus::Ok;
}

} // namespace

StateDecodeStatus decode_state(std::span<const std::uint8_t> record, PersistedState& state) {
    // Decoded straight into state (no temporary); anything but Ok leaves it idle, every field
    // as default-constructed.
    const StateDecodeStatus status = decode_into(record, state);
    if (status != StateDecodeStatus::Ok) {
        state.reset();
    }
    return status;
}

} // namespace fota
