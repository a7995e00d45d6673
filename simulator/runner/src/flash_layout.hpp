// Where a device group's flash puts the MCUboot slots: the nRF9160's layout (MCUboot 48 KiB, two
// equal slots, 32 KiB settings), scaled to the group's flash size.
#pragma once

#include "scenario/scenario.hpp"

#include <cstdint>
#include <string>
#include <utility>

namespace fota::sim::runner {

struct FlashLayout {
    std::string geometry; ///< flash::Geometry's line; empty for the nRF9160's (the default)
    std::string layout;   ///< flash::PartitionTable's; empty for the nRF9160's
    std::uint64_t primary_offset = 48 * 1024;
    std::uint64_t secondary_offset = (48 + 472) * 1024;
    std::uint64_t slot_size = 472 * 1024;
    std::uint64_t storage_size = 32 * 1024; ///< the settings partition, after the slots
    std::uint64_t page_size = 4096;
    std::uint8_t erased_value = 0xFF;
};

/// The layout for a group's geometry (the nRF9160's, with empty lines, for the default one).
FlashLayout flash_layout(const FlashGeometry& geometry);

/// The partition's [offset, offset + size) on a device's flash (the whole flash for `any`).
std::pair<std::uint64_t, std::uint64_t> partition_region(const FlashLayout& flash,
                                                         FlashFaultStep::Partition partition);

} // namespace fota::sim::runner
