#include "fota/state_record.hpp"

#include "fota/jobs_topics.hpp"

#include <algorithm>
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

class Writer {
public:
    explicit Writer(std::span<std::uint8_t> out) : out_(out) {}
    void u8(std::uint8_t v) { out_[pos_++] = v; }
    void u16(std::uint16_t v) {
        u8(static_cast<std::uint8_t>(v));
        u8(static_cast<std::uint8_t>(v >> 8));
    }
    void u32(std::uint32_t v) {
        for (unsigned i = 0; i < 4; ++i) {
            u8(static_cast<std::uint8_t>(v >> (8 * i)));
        }
    }
    void bytes(const std::uint8_t* data, std::size_t length, std::size_t field) {
        for (std::size_t i = 0; i < field; ++i) {
            u8(i < length ? data[i] : 0);
        }
    }
    void version(const ImageVersion& v) {
        u8(v.major);
        u8(v.minor);
        u16(v.revision);
        u32(v.build);
    }
    std::size_t pos() const { return pos_; }

private:
    std::span<std::uint8_t> out_;
    std::size_t pos_ = 0;
};

class Reader {
public:
    explicit Reader(std::span<const std::uint8_t> in) : in_(in) {}
    std::uint8_t u8() { return in_[pos_++]; }
    std::uint16_t u16() {
        const std::uint16_t low = u8();
        return static_cast<std::uint16_t>(low | (u8() << 8));
    }
    std::uint32_t u32() {
        std::uint32_t v = 0;
        for (unsigned i = 0; i < 4; ++i) {
            v |= static_cast<std::uint32_t>(u8()) << (8 * i);
        }
        return v;
    }
    void bytes(std::uint8_t* data, std::size_t field) {
        for (std::size_t i = 0; i < field; ++i) {
            data[i] = u8();
        }
    }
    ImageVersion version() {
        ImageVersion v;
        v.major = u8();
        v.minor = u8();
        v.revision = u16();
        v.build = u32();
        return v;
    }
    std::size_t pos() const { return pos_; }

private:
    std::span<const std::uint8_t> in_;
    std::size_t pos_ = 0;
};

const std::uint8_t* as_bytes(const char* text) {
    return reinterpret_cast<const std::uint8_t*>(text);
}

} // namespace

void PersistedState::reset() {
    *this = PersistedState{};
}

std::uint32_t crc32(std::span<const std::uint8_t> data) {
    std::uint32_t crc = 0xFFFFFFFFu;
    for (const std::uint8_t byte : data) {
        crc ^= byte;
        for (int bit = 0; bit < 8; ++bit) {
            crc = (crc & 1u) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
        }
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
        state.reason_length > kMaxReasonLength || texts.url.size() < state.url_length ||
        texts.reason.size() < state.reason_length) {
        return 0;
    }
    // The texts first: they may lie in out's fields already.
    place_text(texts.url, state.url_length, out.data() + kStateRecordUrlOffset, kMaxUrlLength + 1);
    place_text(texts.reason, state.reason_length, out.data() + kStateRecordReasonOffset,
               kMaxReasonLength);
    Writer w(out);
    w.bytes(kMagic.data(), kMagic.size(), kMagic.size());
    w.u32(0); // the CRC, below
    w.u8(kFormat);
    w.u8(static_cast<std::uint8_t>(state.phase));
    std::uint8_t flags = 0;
    flags |= state.has_version_number ? kHasVersionNumber : 0;
    flags |= state.has_size ? kHasSize : 0;
    flags |= state.total_known ? kTotalKnown : 0;
    flags |= state.has_sha256 ? kHasSha : 0;
    flags |= state.has_target_version ? kHasTarget : 0;
    w.u8(flags);
    w.u8(state.apply_attempts);
    w.u32(state.version_number);
    w.u32(state.size);
    w.u32(state.total);
    w.u32(state.download_offset);
    w.u32(0); // reserved
    w.u32(0);
    w.u32(0);
    w.version(state.target_version);
    w.version(state.from_version);
    w.bytes(state.sha256.data(), state.sha256.size(), 32);
    w.u8(static_cast<std::uint8_t>(state.job_id_length));
    w.bytes(as_bytes(state.job_id.data()), state.job_id_length, kMaxJobIdLength);
    w.u16(static_cast<std::uint16_t>(state.url_length));
    w.u8(static_cast<std::uint8_t>(state.reason_length));
    if (w.pos() != kStateRecordReasonOffset) {
        return 0; // the layout and the offsets disagree (a bug: caught by every test)
    }
    Writer crc(out.subspan(kCrcOffset));
    crc.u32(crc32(out.subspan(kCrcEnd, kStateRecordSize - kCrcEnd)));
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
    Reader r(record);
    r.u32(); // magic
    if (r.u32() != crc32(record.subspan(kCrcEnd))) {
        return StateDecodeStatus::BadCrc;
    }
    if (r.u8() != kFormat) {
        return StateDecodeStatus::BadFormat;
    }
    const std::uint8_t phase = r.u8();
    const std::uint8_t flags = r.u8();
    s.apply_attempts = r.u8();
    s.version_number = r.u32();
    s.size = r.u32();
    s.total = r.u32();
    s.download_offset = r.u32();
    r.u32();
    r.u32();
    r.u32();
    s.target_version = r.version();
    s.from_version = r.version();
    r.bytes(s.sha256.data(), 32);
    s.job_id_length = r.u8();
    r.bytes(reinterpret_cast<std::uint8_t*>(s.job_id.data()), kMaxJobIdLength);
    s.url_length = r.u16();
    s.reason_length = r.u8();
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
