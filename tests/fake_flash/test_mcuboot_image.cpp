#include "fota/flash/mcuboot_image.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <unistd.h>

using namespace fota::flash;

namespace {

void put16(std::vector<std::uint8_t>& out, std::uint16_t value) {
    out.push_back(static_cast<std::uint8_t>(value));
    out.push_back(static_cast<std::uint8_t>(value >> 8));
}

void put32(std::vector<std::uint8_t>& out, std::uint32_t value) {
    for (int i = 0; i < 4; ++i) {
        out.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
    }
}

void put_tlv(std::vector<std::uint8_t>& out, std::uint8_t type,
             const std::vector<std::uint8_t>& value) {
    out.push_back(type);
    out.push_back(0);
    put16(out, static_cast<std::uint16_t>(value.size()));
    out.insert(out.end(), value.begin(), value.end());
}

/// An image laid out the way `imgtool sign --header-size 0x200 --pad-header --version 2.5.1+9
/// --security-counter 3 --key <ecdsa-p256>` lays it out: header padded with 0xFF to 0x200, the
/// body, a protected TLV area (0x6908) with the security counter, then the TLV area (0x6907)
/// with SHA-256 over header + body + protected TLVs, the key hash and an ECDSA signature. Built
/// here byte by byte, independently of make_test_image().
std::vector<std::uint8_t> imgtool_style_image() {
    const std::uint32_t body_size = 5000;
    std::vector<std::uint8_t> image;
    put32(image, 0x96f3b83d);
    put32(image, 0);     // load address
    put16(image, 0x200); // header size
    put16(image, 8 + 4); // protected TLV size: info + one 4-byte TLV (header 4 + value 4)
    put32(image, body_size);
    put32(image, 0); // flags
    image.push_back(2);
    image.push_back(5);
    put16(image, 1);
    put32(image, 9);
    put32(image, 0);
    image.resize(0x200, 0xFF);
    for (std::uint32_t i = 0; i < body_size; ++i) {
        image.push_back(static_cast<std::uint8_t>(i * 7 + 3));
    }
    put16(image, 0x6908);
    put16(image, 12);
    put_tlv(image, 0x50, {3, 0, 0, 0}); // security counter
    const auto hash = sha256(image);
    const std::vector<std::uint8_t> key_hash(32, 0xAB);
    const std::vector<std::uint8_t> signature(71, 0x5C);
    put16(image, 0x6907);
    put16(image, static_cast<std::uint16_t>(4 + 4 + 32 + 4 + 32 + 4 + 71));
    put_tlv(image, 0x10, std::vector<std::uint8_t>(hash.begin(), hash.end()));
    put_tlv(image, 0x01, key_hash);
    put_tlv(image, 0x22, signature);
    return image;
}

} // namespace

TEST_CASE("versions parse and print as MAJOR.MINOR.REVISION+BUILD", "[image]") {
    auto version = ImageVersion::parse("1.2.3+4");
    REQUIRE(version);
    CHECK(version->major == 1);
    CHECK(version->minor == 2);
    CHECK(version->revision == 3);
    CHECK(version->build == 4);
    CHECK(version->to_string() == "1.2.3+4");
    CHECK(ImageVersion::parse("1.2").value() == ImageVersion{1, 2, 0, 0});
    CHECK(ImageVersion::parse("255.255.65535+4294967295").value().to_string() ==
          "255.255.65535+4294967295");
    CHECK(ImageVersion{1, 2, 3, 4} < ImageVersion{1, 2, 3, 5});
    CHECK(ImageVersion{1, 3, 0, 0} > ImageVersion{1, 2, 9, 9});
    for (const char* bad : {"", "1.2.3.4", "256.0.0", "1.2.65536", "1.2.3+", "a.b", "1..2",
                            "1.2.3+4294967296", "0x1.2.3", "1.2.3 "}) {
        INFO(bad);
        CHECK_FALSE(ImageVersion::parse(bad));
    }
}

TEST_CASE("test images are deterministic, sized exactly, and verify", "[image]") {
    TestImageOptions options;
    options.version = ImageVersion{1, 2, 3, 4};
    options.total_size = 200 * 1024;
    options.seed = 7;
    auto first = make_test_image(options);
    REQUIRE(first);
    CHECK(first->size() == 200 * 1024);
    CHECK(make_test_image(options).value() == first.value());
    options.seed = 8;
    CHECK(make_test_image(options).value() != first.value());
    auto info = parse_image(first.value());
    REQUIRE(info);
    CHECK(info->header.version == ImageVersion{1, 2, 3, 4});
    CHECK(info->header.header_size == 0x200);
    CHECK(info->header.image_size == 200 * 1024 - 0x200 - 40);
    CHECK(info->total_size == 200 * 1024);
    REQUIRE(info->tlvs.size() == 1);
    CHECK(info->tlvs[0].type == kTlvSha256);
    // A slot holds more than the image: the rest is ignored.
    std::vector<std::uint8_t> slot = first.value();
    slot.resize(300 * 1024, 0xFF);
    CHECK(parse_image(slot));
}

TEST_CASE("an image built the way imgtool builds it loads", "[image]") {
    const auto image = imgtool_style_image();
    auto info = parse_image(image);
    REQUIRE(info);
    CHECK(info->header.version.to_string() == "2.5.1+9");
    CHECK(info->header.protected_tlv_size == 12);
    CHECK(info->total_size == image.size());
    REQUIRE(info->tlvs.size() == 4);
    CHECK(info->tlvs[0].is_protected);
    CHECK(info->tlvs[0].type == 0x50);
    CHECK(info->tlvs[3].type == 0x22);
    CHECK(info->tlvs[3].length == 71);
    // The protected TLVs are covered by the hash.
    auto tampered = image;
    tampered[0x200 + 5000 + 8] = 4; // security counter value
    CHECK_THAT(parse_image(tampered).error().message, Catch::Contains("SHA-256 mismatch"));
}

TEST_CASE("malformed images are refused with what and where", "[image]") {
    TestImageOptions options;
    options.total_size = 4096;
    const auto good = make_test_image(options).value();
    const std::size_t tlv_at = good.size() - 40;
    auto with = [&](auto change) {
        auto image = good;
        change(image);
        return image;
    };
    const std::pair<std::vector<std::uint8_t>, const char*> cases[] = {
        {std::vector<std::uint8_t>(good.begin(), good.begin() + 31), "needs 32 bytes"},
        {with([](auto& i) { i[3] = 0; }), "not an MCUboot image"},
        {with([](auto& i) {
             i[8] = 16;
             i[9] = 0;
         }),
         "smaller than the 32-byte header"},
        {with([](auto& i) { i[14] = 0x10; }), "past the end of the data"},
        {std::vector<std::uint8_t>(good.begin(), good.end() - 1), "runs past the data"},
        {std::vector<std::uint8_t>(good.begin(), good.begin() + tlv_at + 2), "past the end"},
        {with([&](auto& i) { i[tlv_at] = 0x08; }), "info magic"},
        {with([&](auto& i) { i[tlv_at + 2] = 2; }), "smaller than its info header"},
        {with([&](auto& i) { i[tlv_at + 2] = 39; }), "runs past the end of the area"},
        {with([&](auto& i) { i[tlv_at + 4] = 0x11; }), "no SHA-256 TLV"},
        {with([&](auto& i) { i[tlv_at + 6] = 31; }), "crosses the end"},
        {with([&](auto& i) { i[0x300] ^= 1; }), "SHA-256 mismatch"},
        {with([&](auto& i) { i[10] = 4; }), "protected TLV area"},
    };
    for (const auto& [image, reason] : cases) {
        INFO(reason);
        auto parsed = parse_image(image);
        REQUIRE_FALSE(parsed);
        CHECK_THAT(parsed.error().message, Catch::Contains(reason));
    }
}

TEST_CASE("test image options that cannot work are refused", "[image]") {
    TestImageOptions options;
    options.total_size = 0x200 + 40;
    CHECK_THAT(make_test_image(options).error().message, Catch::Contains("too small"));
    options.total_size = 4096;
    options.header_size = 16;
    CHECK_FALSE(make_test_image(options));
    options.header_size = 0x20;
    CHECK(parse_image(make_test_image(options).value()));
}

TEST_CASE("write_test_image writes the same bytes to a file", "[image]") {
    const auto path = std::filesystem::temp_directory_path() /
                      ("fota-image-" + std::to_string(::getpid()) + ".bin");
    TestImageOptions options;
    options.total_size = 10000;
    options.seed = 3;
    REQUIRE(write_test_image(options, path.string()));
    std::ifstream in(path, std::ios::binary);
    const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                          std::istreambuf_iterator<char>());
    CHECK(bytes == make_test_image(options).value());
    std::filesystem::remove(path);
    CHECK_FALSE(write_test_image(options, "/nonexistent-dir/x.bin"));
}
