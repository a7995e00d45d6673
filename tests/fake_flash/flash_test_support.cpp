#include "flash_test_support.hpp"

#include <algorithm>
#include <stdexcept>

namespace fota::flash::test {

Setup setup_named(std::string_view name) {
    Setup setup;
    setup.name = std::string(name);
    if (name == "small" || name == "small-w16-e00") {
        setup.geometry.size = 128 * 1024;
        setup.geometry.page_size = 4096;
        setup.geometry.write_unit = name == "small" ? 4 : 16;
        setup.geometry.erased_value = name == "small" ? 0xFF : 0x00;
        setup.layout = "mcuboot=16KiB,mcuboot_primary=48KiB,mcuboot_secondary=48KiB,"
                       "settings_storage=16KiB";
        setup.old_image = TestImageOptions{ImageVersion{1, 0, 0, 0}, 27 * 1024 + 100, 1, 0x200, 0};
        setup.new_image = TestImageOptions{ImageVersion{1, 1, 0, 2}, 33 * 1024 + 7, 2, 0x200, 0};
    } else if (name == "nrf9160") {
        setup.geometry = Geometry::nrf9160();
        setup.layout = std::string(kNrf9160Layout);
        setup.old_image = TestImageOptions{ImageVersion{1, 0, 0, 0}, 180 * 1024, 1, 0x200, 0};
        setup.new_image = TestImageOptions{ImageVersion{1, 2, 3, 4}, 200 * 1024, 7, 0x200, 0};
    } else {
        setup.name.clear();
    }
    return setup;
}

std::vector<std::uint8_t> image_bytes(const TestImageOptions& options) {
    auto image = make_test_image(options);
    if (!image) {
        throw std::runtime_error(image.error().message);
    }
    return image.value();
}

namespace {

void write_padded(NorFlash& flash, std::uint32_t address, const std::vector<std::uint8_t>& data) {
    std::vector<std::uint8_t> padded = data;
    const std::uint32_t unit = flash.geometry().write_unit;
    padded.resize((data.size() + unit - 1) / unit * unit, flash.geometry().erased_value);
    if (flash.write(address, padded) != FlashStatus::ok) {
        throw std::runtime_error("cannot install an image: " + flash.last_violation());
    }
}

} // namespace

std::unique_ptr<Device> make_device(const Setup& setup, bool stage_update) {
    DeviceConfig config;
    config.geometry = setup.geometry;
    config.layout = setup.layout;
    auto device = Device::open(config);
    if (!device) {
        throw std::runtime_error(device.error().message);
    }
    Device& dev = *device.value();
    write_padded(dev.flash(), dev.boot_model().partition(Slot::primary).offset,
                 image_bytes(setup.old_image));
    if (stage_update) {
        write_padded(dev.flash(), dev.boot_model().partition(Slot::secondary).offset,
                     image_bytes(setup.new_image));
    }
    return std::move(device.value());
}

std::vector<std::uint8_t> slot_bytes(Device& device, Slot slot, std::size_t length) {
    std::vector<std::uint8_t> bytes(length);
    const std::uint32_t offset = device.boot_model().partition(slot).offset;
    if (device.flash().peek(offset, bytes) != FlashStatus::ok) {
        throw std::runtime_error("slot_bytes: the range leaves the flash");
    }
    return bytes;
}

FlashStatus download_to_secondary(Device& device, const std::vector<std::uint8_t>& image) {
    const std::uint32_t page = device.flash().geometry().page_size;
    const std::uint32_t unit = device.flash().geometry().write_unit;
    std::uint32_t erased_up_to = 0;
    for (std::uint32_t offset = 0; offset < image.size(); offset += 512) {
        const std::uint32_t length =
            std::min<std::uint32_t>(512, static_cast<std::uint32_t>(image.size()) - offset);
        std::vector<std::uint8_t> chunk(image.begin() + offset, image.begin() + offset + length);
        chunk.resize((length + unit - 1) / unit * unit, device.flash().geometry().erased_value);
        while (erased_up_to < offset + chunk.size()) {
            if (FlashStatus status = device.erase_secondary(erased_up_to, page);
                status != FlashStatus::ok) {
                return status;
            }
            erased_up_to += page;
        }
        if (FlashStatus status = device.write_secondary(offset, chunk); status != FlashStatus::ok) {
            return status;
        }
    }
    return device.erase_secondary(device.boot_model().trailer_page_offset(), page);
}

} // namespace fota::flash::test
