// Shared setups for the fake-flash tests: geometries, layouts and images for the boot model and
// the power-cut sweeps, and the helpers that install images.
#pragma once

#include "fota/flash/device.hpp"
#include "fota/flash/mcuboot_image.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace fota::flash::test {

/// A named, reproducible device setup: geometry, layout, an installed (old) image and an update.
struct Setup {
    std::string name;
    Geometry geometry;
    std::string layout;
    TestImageOptions old_image;
    TestImageOptions new_image;
};

/// "small": 128 KiB flash, 4 KiB pages, 4-byte write unit, erased 0xFF; 48 KiB slots.
/// "small-w16-e00": the same with a 16-byte write unit and erased value 0x00.
/// "nrf9160": the real geometry and NCS layout with a 180 KiB installed image and the 200 KiB
/// update of `fota-sim mkimage --version 1.2.3+4 --size 200KiB --seed 7`.
/// Returns nullptr-like empty name for an unknown name.
Setup setup_named(std::string_view name);

/// Opens a RAM device for the setup, writes the old image into the primary slot as a factory
/// install (no trailer) and, if `stage_update`, the new image into the secondary slot.
std::unique_ptr<Device> make_device(const Setup& setup, bool stage_update);

std::vector<std::uint8_t> image_bytes(const TestImageOptions& options);

/// Bytes of a slot, from its start, `length` of them (straight from the cells, no faults).
std::vector<std::uint8_t> slot_bytes(Device& device, Slot slot, std::size_t length);

/// Writes an image into the secondary slot the way the NCS MCUboot DFU target does: 512-byte
/// writes, each page erased just before the first write into it; then erases the trailer page.
FlashStatus download_to_secondary(Device& device, const std::vector<std::uint8_t>& image);

} // namespace fota::flash::test
