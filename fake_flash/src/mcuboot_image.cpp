#include "fota/flash/mcuboot_image.hpp"

#include "fota/flash/rng.hpp"
#include "fota/flash/text.hpp"

#include <charconv>
#include <cstdio>
#include <openssl/evp.h>

namespace fota::flash {

namespace {

std::uint16_t load16(const std::uint8_t* at) {
    return static_cast<std::uint16_t>(at[0] | at[1] << 8);
}

std::uint32_t load32(const std::uint8_t* at) {
    return static_cast<std::uint32_t>(at[0]) | static_cast<std::uint32_t>(at[1]) << 8 |
           static_cast<std::uint32_t>(at[2]) << 16 | static_cast<std::uint32_t>(at[3]) << 24;
}

void store16(std::uint8_t* at, std::uint16_t value) {
    at[0] = static_cast<std::uint8_t>(value);
    at[1] = static_cast<std::uint8_t>(value >> 8);
}

void store32(std::uint8_t* at, std::uint32_t value) {
    for (int i = 0; i < 4; ++i) {
        at[i] = static_cast<std::uint8_t>(value >> (8 * i));
    }
}

Result<std::uint64_t> version_field(std::string_view text, std::string_view whole,
                                    std::uint64_t max) {
    auto value = parse_u64(text);
    if (!value || text.substr(0, 2) == "0x" || value.value() > max) {
        return fail("invalid version '" + std::string(whole) +
                    "': expected MAJOR.MINOR.REVISION+BUILD with MAJOR, MINOR <= 255, "
                    "REVISION <= 65535, BUILD <= 4294967295");
    }
    return value.value();
}

/// Walks one TLV area starting at `at`; appends its TLVs; returns the end offset.
Result<std::uint64_t> walk_tlv_area(std::span<const std::uint8_t> bytes, std::uint64_t at,
                                    std::uint16_t expected_magic, bool is_protected,
                                    std::vector<ImageTlv>& tlvs) {
    const char* area = is_protected ? "protected TLV area" : "TLV area";
    if (at + 4 > bytes.size()) {
        return fail(std::string(area) + " at " + hex(at) + " is past the end of the data (" +
                    hex(bytes.size()) + " bytes)");
    }
    const std::uint16_t magic = load16(bytes.data() + at);
    const std::uint16_t total = load16(bytes.data() + at + 2);
    if (magic != expected_magic) {
        return fail(std::string(area) + " at " + hex(at) + ": info magic " + hex(magic) +
                    ", expected " + hex(expected_magic));
    }
    if (total < 4 || at + total > bytes.size()) {
        return fail(std::string(area) + " at " + hex(at) + ": size " + std::to_string(total) +
                    " is smaller than its info header or runs past the data");
    }
    const std::uint64_t end = at + total;
    std::uint64_t cursor = at + 4;
    while (cursor < end) {
        if (cursor + 4 > end) {
            return fail(std::string(area) + ": TLV header at " + hex(cursor) +
                        " crosses the end of the area");
        }
        ImageTlv tlv;
        tlv.type = bytes[cursor];
        tlv.length = load16(bytes.data() + cursor + 2);
        tlv.is_protected = is_protected;
        tlv.offset = static_cast<std::uint32_t>(cursor + 4);
        if (cursor + 4 + tlv.length > end) {
            return fail(std::string(area) + ": TLV type " + hex(tlv.type) + " at " + hex(cursor) +
                        " with length " + std::to_string(tlv.length) +
                        " runs past the end of the area");
        }
        tlvs.push_back(tlv);
        cursor += 4 + tlv.length;
    }
    return end;
}

} // namespace

std::string ImageVersion::to_string() const {
    return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(revision) +
           "+" + std::to_string(build);
}

Result<ImageVersion> ImageVersion::parse(std::string_view text) {
    ImageVersion version;
    std::string_view numbers = text;
    if (const std::size_t plus = text.find('+'); plus != std::string_view::npos) {
        auto build = version_field(text.substr(plus + 1), text, UINT32_MAX);
        if (!build) {
            return build.error();
        }
        version.build = static_cast<std::uint32_t>(build.value());
        numbers = text.substr(0, plus);
    }
    const auto parts = split(numbers, '.');
    if (parts.size() > 3) {
        return fail("invalid version '" + std::string(text) + "': at most three dotted numbers");
    }
    const std::uint64_t limits[3] = {255, 255, 65535};
    std::uint64_t values[3] = {0, 0, 0};
    for (std::size_t i = 0; i < parts.size(); ++i) {
        auto value = version_field(parts[i], text, limits[i]);
        if (!value) {
            return value.error();
        }
        values[i] = value.value();
    }
    version.major = static_cast<std::uint8_t>(values[0]);
    version.minor = static_cast<std::uint8_t>(values[1]);
    version.revision = static_cast<std::uint16_t>(values[2]);
    return version;
}

Result<ImageHeader> parse_image_header(std::span<const std::uint8_t> bytes) {
    if (bytes.size() < kImageHeaderSize) {
        return fail("image header needs 32 bytes, got " + std::to_string(bytes.size()));
    }
    ImageHeader header;
    header.magic = load32(bytes.data());
    if (header.magic != kImageMagic) {
        return fail("image magic is " + hex(header.magic) + ", expected " + hex(kImageMagic) +
                    " (not an MCUboot image)");
    }
    header.load_address = load32(bytes.data() + 4);
    header.header_size = load16(bytes.data() + 8);
    header.protected_tlv_size = load16(bytes.data() + 10);
    header.image_size = load32(bytes.data() + 12);
    header.flags = load32(bytes.data() + 16);
    header.version.major = bytes[20];
    header.version.minor = bytes[21];
    header.version.revision = load16(bytes.data() + 22);
    header.version.build = load32(bytes.data() + 24);
    if (header.header_size < kImageHeaderSize) {
        return fail("image header_size " + std::to_string(header.header_size) +
                    " is smaller than the 32-byte header");
    }
    return header;
}

std::array<std::uint8_t, 32> sha256(std::span<const std::uint8_t> bytes) {
    std::array<std::uint8_t, 32> digest{};
    unsigned int length = 0;
    EVP_Digest(bytes.data(), bytes.size(), digest.data(), &length, EVP_sha256(), nullptr);
    return digest;
}

Result<ImageInfo> parse_image(std::span<const std::uint8_t> bytes) {
    auto header = parse_image_header(bytes);
    if (!header) {
        return header.error();
    }
    ImageInfo info;
    info.header = header.value();
    const std::uint64_t body_end =
        static_cast<std::uint64_t>(info.header.header_size) + info.header.image_size;
    if (body_end > bytes.size()) {
        return fail("image body ends at " + hex(body_end) + " (header_size " +
                    hex(info.header.header_size) + " + image_size " + hex(info.header.image_size) +
                    "), past the end of the data (" + hex(bytes.size()) + " bytes)");
    }
    std::uint64_t cursor = body_end;
    if (info.header.protected_tlv_size != 0) {
        auto end = walk_tlv_area(bytes, cursor, kProtectedTlvInfoMagic, true, info.tlvs);
        if (!end) {
            return end.error();
        }
        if (end.value() - cursor != info.header.protected_tlv_size) {
            return fail("protected TLV area is " + std::to_string(end.value() - cursor) +
                        " bytes but the header says " +
                        std::to_string(info.header.protected_tlv_size));
        }
        cursor = end.value();
    }
    const std::uint64_t hashed_end = cursor;
    auto end = walk_tlv_area(bytes, cursor, kTlvInfoMagic, false, info.tlvs);
    if (!end) {
        return end.error();
    }
    info.total_size = static_cast<std::uint32_t>(end.value());
    const ImageTlv* hash_tlv = nullptr;
    for (const auto& tlv : info.tlvs) {
        if (tlv.type == kTlvSha256 && !tlv.is_protected) {
            if (hash_tlv != nullptr) {
                return fail("image has two SHA-256 TLVs");
            }
            hash_tlv = &tlv;
        }
    }
    if (hash_tlv == nullptr) {
        return fail("image has no SHA-256 TLV (type 0x10) in its TLV area");
    }
    if (hash_tlv->length != 32) {
        return fail("image SHA-256 TLV has length " + std::to_string(hash_tlv->length) +
                    ", expected 32");
    }
    info.sha256 = sha256(bytes.first(hashed_end));
    for (std::size_t i = 0; i < 32; ++i) {
        if (bytes[hash_tlv->offset + i] != info.sha256[i]) {
            return fail("image SHA-256 mismatch: the hash of the first " + hex(hashed_end) +
                        " bytes does not match the SHA-256 TLV at " + hex(hash_tlv->offset));
        }
    }
    return info;
}

Result<std::vector<std::uint8_t>> make_test_image(const TestImageOptions& options) {
    constexpr std::uint32_t kTlvBytes = 4 + 4 + 32;
    if (options.header_size < kImageHeaderSize) {
        return fail("header size " + std::to_string(options.header_size) + " is below 32");
    }
    if (options.total_size < options.header_size + 1u + kTlvBytes) {
        return fail("image size " + std::to_string(options.total_size) +
                    " is too small: it needs the header (" + std::to_string(options.header_size) +
                    " bytes), at least 1 body byte and the TLVs (" + std::to_string(kTlvBytes) +
                    " bytes)");
    }
    std::vector<std::uint8_t> image(options.total_size, 0xFF);
    const std::uint32_t body_size = options.total_size - options.header_size - kTlvBytes;
    std::uint8_t* header = image.data();
    store32(header, kImageMagic);
    store32(header + 4, options.load_address);
    store16(header + 8, options.header_size);
    store16(header + 10, 0);
    store32(header + 12, body_size);
    store32(header + 16, 0);
    header[20] = options.version.major;
    header[21] = options.version.minor;
    store16(header + 22, options.version.revision);
    store32(header + 24, options.version.build);
    store32(header + 28, 0);
    SplitMix64 rng(options.seed);
    std::uint8_t* body = image.data() + options.header_size;
    for (std::uint32_t i = 0; i < body_size; i += 8) {
        const std::uint64_t word = rng.next();
        for (std::uint32_t j = 0; j < 8 && i + j < body_size; ++j) {
            body[i + j] = static_cast<std::uint8_t>(word >> (8 * j));
        }
    }
    std::uint8_t* tlv = body + body_size;
    store16(tlv, kTlvInfoMagic);
    store16(tlv + 2, static_cast<std::uint16_t>(kTlvBytes));
    tlv[4] = kTlvSha256;
    tlv[5] = 0;
    store16(tlv + 6, 32);
    const auto digest =
        sha256(std::span<const std::uint8_t>(image.data(), options.header_size + body_size));
    std::copy(digest.begin(), digest.end(), tlv + 8);
    return image;
}

Status write_test_image(const TestImageOptions& options, const std::string& path) {
    auto image = make_test_image(options);
    if (!image) {
        return image.error();
    }
    std::FILE* file = std::fopen(path.c_str(), "wb");
    if (file == nullptr) {
        return fail("cannot create '" + path + "'");
    }
    const std::size_t wrote = std::fwrite(image->data(), 1, image->size(), file);
    const bool closed = std::fclose(file) == 0;
    if (wrote != image->size() || !closed) {
        return fail("cannot write " + std::to_string(image->size()) + " bytes to '" + path + "'");
    }
    return success();
}

} // namespace fota::flash
