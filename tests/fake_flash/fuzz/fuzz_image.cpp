// libFuzzer: the MCUboot image parser on arbitrary bytes. Never crashes or reads out of bounds;
// an accepted image is self-consistent.
#include "fota/flash/mcuboot_image.hpp"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace fota::flash;
    const std::span<const std::uint8_t> bytes(data, size);
    auto info = parse_image(bytes);
    if (!info) {
        if (info.error().message.empty()) {
            std::abort(); // every refusal says why
        }
        return 0;
    }
    const ImageHeader& header = info->header;
    if (info->total_size > size ||
        info->total_size < header.header_size + header.image_size + header.protected_tlv_size ||
        header.magic != kImageMagic) {
        std::abort();
    }
    const auto digest = sha256(bytes.first(std::size_t{header.header_size} + header.image_size +
                                           header.protected_tlv_size));
    if (digest != info->sha256) {
        std::abort();
    }
    for (const auto& tlv : info->tlvs) {
        if (tlv.offset + tlv.length > info->total_size) {
            std::abort();
        }
    }
    return 0;
}
