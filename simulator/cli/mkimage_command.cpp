// fota-sim mkimage: writes a deterministic MCUboot test image (header, body from a seed, SHA-256
// TLV), e.g. `fota-sim mkimage --version 1.2.3+4 --size 200KiB --seed 7 --out app_update.bin`.
#include "cli/command_registry.hpp"

#include <fota/flash/mcuboot_image.hpp>
#include <fota/flash/text.hpp>

#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

namespace fota::sim {
namespace {

struct MkimageOptions {
    std::string version;
    std::string size = "200KiB";
    std::uint64_t seed = 0;
    std::string header_size = "0x200";
    std::string load_address = "0";
    std::string out;
};

[[noreturn]] void usage_error(const std::string& message) {
    std::cerr << "fota-sim mkimage: " << message << "\n";
    throw CLI::RuntimeError(2);
}

void run_mkimage(const MkimageOptions& options) {
    flash::TestImageOptions image;
    auto version = flash::ImageVersion::parse(options.version);
    if (!version) {
        usage_error("--version: " + version.error().message);
    }
    image.version = version.value();
    auto size = flash::parse_size(options.size);
    if (!size) {
        usage_error("--size: " + size.error().message);
    }
    image.total_size = size.value();
    auto header_size = flash::parse_size(options.header_size);
    if (!header_size || header_size.value() > 0xFFFF) {
        usage_error("--header-size: expected a size of at most 0xffff, got '" +
                    options.header_size + "'");
    }
    image.header_size = static_cast<std::uint16_t>(header_size.value());
    auto load_address = flash::parse_size(options.load_address);
    if (!load_address) {
        usage_error("--load-address: " + load_address.error().message);
    }
    image.load_address = load_address.value();
    image.seed = options.seed;
    auto bytes = flash::make_test_image(image);
    if (!bytes) {
        usage_error(bytes.error().message);
    }
    if (auto written = flash::write_test_image(image, options.out); !written) {
        std::cerr << "fota-sim mkimage: " << written.error().message << "\n";
        throw CLI::RuntimeError(1);
    }
    const auto info = flash::parse_image(bytes.value());
    std::string digest;
    for (std::uint8_t byte : info->sha256) {
        char hex[3];
        std::snprintf(hex, sizeof hex, "%02x", byte);
        digest += hex;
    }
    std::cout << "wrote " << options.out << ": MCUboot image version " << image.version.to_string()
              << ", " << image.total_size << " bytes (header " << image.header_size << ", body "
              << info->header.image_size << ", TLVs "
              << (info->total_size - image.header_size - info->header.image_size) << "), seed "
              << image.seed << ", sha256 " << digest << "\n";
}

void add_mkimage_command(CLI::App& app) {
    auto options = std::make_shared<MkimageOptions>();
    CLI::App* command = app.add_subcommand(
        "mkimage", "Write a deterministic MCUboot test image (same options, same bytes)");
    command->add_option("--version", options->version, "Image version MAJOR.MINOR.REVISION+BUILD")
        ->required();
    command
        ->add_option("--size", options->size,
                     "Size of the whole file, TLVs included (e.g. 200KiB, 0x32000, 4096)")
        ->capture_default_str();
    command->add_option("--seed", options->seed, "Seed of the body bytes")->capture_default_str();
    command
        ->add_option("--header-size", options->header_size,
                     "Header size, padded like imgtool --pad-header")
        ->capture_default_str();
    command->add_option("--load-address", options->load_address, "ih_load_addr")
        ->capture_default_str();
    command->add_option("--out", options->out, "Output file")->required();
    command->callback([options] { run_mkimage(*options); });
}

} // namespace

FOTA_REGISTER_COMMAND("mkimage", add_mkimage_command);

} // namespace fota::sim
