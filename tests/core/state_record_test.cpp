#include "fota/sha256.hpp"
#include "fota/state_record.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <cstring>
#include <string>

using namespace fota;

namespace {
const std::string kUrl = "https://h/" + std::string(kMaxUrlLength - 10, 'u');

PersistedState sample() {
    PersistedState s;
    s.phase = Phase::Downloading;
    const std::string job = "job-42";
    std::memcpy(s.job_id.data(), job.data(), job.size());
    s.job_id_length = job.size();
    s.has_version_number = true;
    s.version_number = 7;
    s.url_length = kUrl.size();
    s.has_size = true;
    s.size = 181124;
    s.total_known = true;
    s.total = 181124;
    s.download_offset = 40960;
    s.has_sha256 = true;
    s.sha256[0] = 0xAB;
    s.has_target_version = true;
    s.target_version = ImageVersion{1, 2, 3, 4};
    s.from_version = ImageVersion{1, 0, 0, 0};
    s.apply_attempts = 1;
    s.reason_length = 3; // "why"
    return s;
}
} // namespace

TEST_CASE("state records round-trip", "[core][state_record]") {
    std::array<std::uint8_t, kStateRecordSize> record{};
    const PersistedState s = sample();
    REQUIRE(encode_state(s, {kUrl, "why"}, record) == kStateRecordSize);
    PersistedState back;
    REQUIRE(decode_state(record, back) == StateDecodeStatus::Ok);
    CHECK(back.phase == Phase::Downloading);
    CHECK(back.job_id_view() == "job-42");
    CHECK(back.version_number == 7);
    CHECK(state_record_url(record, back) == kUrl);
    CHECK(back.size == 181124);
    CHECK(back.download_offset == 40960);
    CHECK(back.sha256 == s.sha256);
    CHECK(back.target_version == s.target_version);
    CHECK(back.from_version == s.from_version);
    CHECK(back.apply_attempts == 1);
    CHECK(state_record_reason(record, back) == "why");
    CHECK(kStateRecordSize <= kStateRecordCapacity);
}

TEST_CASE("a record saved around the URL already in its URL field (the agent's one URL buffer)",
          "[core][state_record]") {
    std::array<std::uint8_t, kStateRecordSize> record{};
    record.fill(0xEE); // what an earlier, longer URL left behind
    const std::span<char> field = state_record_url_field(record);
    REQUIRE(field.size() == kMaxUrlLength + 1);
    const std::string url = "https://h/x.bin";
    std::memcpy(field.data(), url.data(), url.size());
    PersistedState s = sample();
    s.url_length = url.size();
    const std::span<char> reason_field = state_record_reason_field(record);
    std::memcpy(reason_field.data(), "why", 3);
    REQUIRE(encode_state(s, {{field.data(), url.size()}, {reason_field.data(), 3}}, record) ==
            kStateRecordSize);
    PersistedState back;
    REQUIRE(decode_state(record, back) == StateDecodeStatus::Ok);
    CHECK(state_record_url(record, back) == url);
    CHECK(state_record_reason(record, back) == "why");
    CHECK(field[url.size()] == '\0'); // the rest of the field is cleared
    CHECK(reason_field[3] == '\0');
    CHECK(field[kMaxUrlLength] == '\0');
    // Same state, same bytes, whatever the field held before.
    std::array<std::uint8_t, kStateRecordSize> fresh{};
    REQUIRE(encode_state(s, {url, "why"}, fresh) == kStateRecordSize);
    CHECK(fresh == record);
    CHECK(encode_state(s, {"short", "why"}, fresh) == 0); // url shorter than url_length
}

TEST_CASE("torn, foreign or inconsistent records are refused", "[core][state_record]") {
    std::array<std::uint8_t, kStateRecordSize> record{};
    REQUIRE(encode_state(sample(), {kUrl, "why"}, record) == kStateRecordSize);
    PersistedState back;
    // Every single-bit flip is detected (CRC-32), and the state stays idle.
    for (std::size_t byte = 0; byte < record.size(); byte += 97) {
        auto copy = record;
        copy[byte] ^= 0x10;
        CHECK(decode_state(copy, back) != StateDecodeStatus::Ok);
        CHECK(back.phase == Phase::Idle);
    }
    CHECK(decode_state(std::span<const std::uint8_t>(record.data(), record.size() - 1), back) ==
          StateDecodeStatus::WrongSize);
    CHECK(decode_state(std::span<const std::uint8_t>(), back) == StateDecodeStatus::WrongSize);
    PersistedState bad = sample();
    bad.download_offset = bad.total + 1;
    REQUIRE(encode_state(bad, {kUrl, "why"}, record) == kStateRecordSize);
    CHECK(decode_state(record, back) == StateDecodeStatus::BadField);
    std::array<std::uint8_t, 10> small{};
    CHECK(encode_state(sample(), {kUrl, "why"}, small) == 0);
}

TEST_CASE("crc32 and sha256 known answers", "[core][state_record]") {
    const std::string text = "123456789";
    CHECK(crc32(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(text.data()),
                                              text.size())) == 0xCBF43926u);
    const auto hex = [](const Sha256::Digest& d) {
        std::string out;
        for (const auto b : d) {
            static const char* digits = "0123456789abcdef";
            out += digits[b >> 4];
            out += digits[b & 15];
        }
        return out;
    };
    Sha256 hash;
    CHECK(hex(hash.finish()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    hash.reset();
    const std::string abc = "abc";
    hash.update(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(abc.data()),
                                              abc.size()));
    CHECK(hex(hash.finish()) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    // 1,000,000 x 'a', fed in uneven pieces.
    hash.reset();
    const std::string chunk(997, 'a');
    std::size_t fed = 0;
    while (fed < 1000000) {
        const std::size_t n = std::min<std::size_t>(chunk.size(), 1000000 - fed);
        hash.update(
            std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(chunk.data()), n));
        fed += n;
    }
    CHECK(hex(hash.finish()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}
