// A scenario's firmware images: building them, their defects, publishing them (see firmware.hpp).
#include "firmware.hpp"

#include "run_error.hpp"

#include "fota/flash/mcuboot_image.hpp"

#include <fstream>
#include <span>
#include <sstream>

namespace fota::sim::runner {

namespace {

/// Builds the defect a firmware asks for into its bytes.
void apply_defect(const Scenario& scenario, const Firmware& f, std::string& bytes) {
    if (f.defect == ImageDefect::none) {
        return;
    }
    const auto* data = reinterpret_cast<const std::uint8_t*>(bytes.data());
    const auto parsed = flash::parse_image(std::span<const std::uint8_t>(data, bytes.size()));
    if (!parsed) {
        throw RunError(
            where(scenario, f.mark) + ": firmware '" + f.id +
            "' is not an MCUboot image, so it cannot carry a defect: " + parsed.error().message);
    }
    const std::size_t header = parsed.value().header.header_size;
    const std::size_t body = parsed.value().header.image_size;
    switch (f.defect) {
    case ImageDefect::none:
        break;
    case ImageDefect::bad_hash:
        // One body byte changed: the SHA-256 TLV no longer matches.
        bytes[header + body / 2] = static_cast<char>(bytes[header + body / 2] ^ 0x5a);
        break;
    case ImageDefect::bad_magic:
        bytes[0] = static_cast<char>(bytes[0] ^ 0xff);
        break;
    case ImageDefect::truncated:
        bytes.resize(header + body / 2);
        break;
    }
}

/// The image of a firmware: its file, or a test image built for its version and size.
std::string image_bytes(const Scenario& scenario, const Firmware& f, std::uint64_t content_seed) {
    if (!f.file.empty()) {
        std::ifstream in(f.file, std::ios::binary);
        std::ostringstream text;
        text << in.rdbuf();
        if (!in && !in.eof()) {
            throw RunError(where(scenario, f.mark) + ": cannot read " + f.file);
        }
        return text.str();
    }
    const auto version = flash::ImageVersion::parse(f.version);
    if (!version) {
        throw RunError(where(scenario, f.mark) + ": version " + f.version + ": " +
                       version.error().message);
    }
    flash::TestImageOptions image;
    image.version = version.value();
    image.total_size = static_cast<std::uint32_t>(f.size);
    image.seed = content_seed;
    const auto made = flash::make_test_image(image);
    if (!made) {
        throw RunError(where(scenario, f.mark) + ": firmware '" + f.id +
                       "': " + made.error().message);
    }
    return std::string(made.value().begin(), made.value().end());
}

std::string sha256_hex(const std::string& bytes) {
    const auto digest = flash::sha256(std::span<const std::uint8_t>(
        reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (const std::uint8_t b : digest) {
        out += hex[b >> 4];
        out += hex[b & 15];
    }
    return out;
}

} // namespace

FirmwareImages prepare_firmware(const Scenario& scenario, std::uint64_t seed,
                                const std::string& work_dir) {
    FirmwareImages images;
    for (const Firmware& f : scenario.firmware) {
        const std::uint64_t content_seed =
            f.content_seed != 0 ? f.content_seed : seed * 7919 + images.bytes.size();
        std::string bytes = image_bytes(scenario, f, content_seed);
        apply_defect(scenario, f, bytes);
        const std::string path = work_dir + "/" + f.id + ".bin";
        std::ofstream(path, std::ios::binary)
            .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        images.files[f.id] = path;
        images.bytes[f.id] = std::move(bytes);
    }
    return images;
}

std::string object_key(const Scenario& scenario, const std::string& firmware_id) {
    const Firmware* f = scenario.find_firmware(firmware_id);
    return f == nullptr || f->object_key.empty() ? firmware_id + ".bin" : f->object_key;
}

std::map<std::string, PublishedFirmware>
publish_firmware(const Scenario& scenario, const FirmwareImages& images, Stack& stack) {
    std::map<std::string, PublishedFirmware> published;
    for (const Firmware& f : scenario.firmware) {
        const std::string key = object_key(scenario, f.id);
        const std::string& bytes = images.bytes.at(f.id);
        stack.put_object(key, bytes);
        PublishedFirmware p = stack.locate_object(key);
        p.sha256 = sha256_hex(bytes);
        published[f.id] = p;
    }
    return published;
}

} // namespace fota::sim::runner
