// The MCUboot image format: a 32-byte little-endian header, the image body, an optional protected
// TLV area (info magic 0x6908) and the TLV area (info magic 0x6907) holding at least the SHA-256
// of header + body + protected TLVs. Images built by imgtool (padded header, protected TLVs,
// key hash and signature TLVs) load; signatures are not verified (the simulator has no keys).
#pragma once

#include "fota/flash/result.hpp"

#include <array>
#include <compare>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fota::flash {

inline constexpr std::uint32_t kImageMagic = 0x96f3b83d;
inline constexpr std::uint16_t kTlvInfoMagic = 0x6907;
inline constexpr std::uint16_t kProtectedTlvInfoMagic = 0x6908;
inline constexpr std::uint8_t kTlvSha256 = 0x10;
inline constexpr std::size_t kImageHeaderSize = 32;

/// major.minor.revision+build, compared field by field (build included, as MCUboot's
/// downgrade check does when it counts builds).
struct ImageVersion {
    std::uint8_t major = 0;
    std::uint8_t minor = 0;
    std::uint16_t revision = 0;
    std::uint32_t build = 0;

    auto operator<=>(const ImageVersion&) const = default;
    bool operator==(const ImageVersion&) const = default;

    /// "1.2.3+4" (the "+build" part is always printed).
    std::string to_string() const;

    /// Parses "1.2.3+4", "1.2.3", "1.2" or "1"; errors on overflow or stray characters.
    static Result<ImageVersion> parse(std::string_view text);
};

struct ImageHeader {
    std::uint32_t magic = kImageMagic;
    std::uint32_t load_address = 0;
    std::uint16_t header_size = 0;
    std::uint16_t protected_tlv_size = 0;
    std::uint32_t image_size = 0; ///< body bytes, header excluded
    std::uint32_t flags = 0;
    ImageVersion version;
};

struct ImageTlv {
    std::uint8_t type = 0;
    bool is_protected = false;
    std::uint32_t offset = 0; ///< of the value, from the start of the image
    std::uint16_t length = 0;
};

struct ImageInfo {
    ImageHeader header;
    std::uint32_t total_size = 0; ///< header + body + protected TLVs + TLVs
    std::array<std::uint8_t, 32> sha256{};
    std::vector<ImageTlv> tlvs;
};

/// Decodes the 32-byte header. Errors if fewer than 32 bytes, a wrong magic, or a header_size
/// smaller than 32.
Result<ImageHeader> parse_image_header(std::span<const std::uint8_t> bytes);

/// Parses and verifies a whole image at the start of `bytes` (which may be longer, e.g. a whole
/// slot): header, TLV areas (every TLV inside its area, exactly one SHA-256 TLV of 32 bytes),
/// and the SHA-256. Errors say what is wrong and at which offset. Never reads past `bytes`.
Result<ImageInfo> parse_image(std::span<const std::uint8_t> bytes);

/// SHA-256 of bytes (OpenSSL).
std::array<std::uint8_t, 32> sha256(std::span<const std::uint8_t> bytes);

/// Options of a deterministic test image.
struct TestImageOptions {
    ImageVersion version;
    std::uint32_t total_size = 200 * 1024; ///< size of the whole file, TLVs included
    std::uint64_t seed = 0;                ///< body bytes come from SplitMix64(seed)
    std::uint16_t header_size = 0x200;     ///< like `imgtool sign --header-size 0x200 --pad-header`
    std::uint32_t load_address = 0;
};

/// Builds an image of exactly total_size bytes: header, body from the seed, and a TLV area with
/// the SHA-256 TLV. Same options => same bytes. Errors if total_size is too small for the header
/// and TLVs (header_size + 1 + 40 bytes) or header_size < 32.
Result<std::vector<std::uint8_t>> make_test_image(const TestImageOptions& options);

/// make_test_image() written to a file (replaced if it exists).
Status write_test_image(const TestImageOptions& options, const std::string& path);

} // namespace fota::flash
