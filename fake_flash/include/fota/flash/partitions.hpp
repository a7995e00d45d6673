// Partition layout of the fake flash, like the nRF Connect SDK Partition Manager's default for the
// nRF9160 with MCUboot, and configurable by a one-line layout description.
//
// Layout grammar: comma-separated "name=SIZE" or "name@OFFSET=SIZE" entries. Without @OFFSET a
// partition starts where the previous one ends (the first at 0). Sizes and offsets take the
// forms of parse_size ("48KiB", "0xc000", "4096"). Every partition must be page aligned, inside
// the flash, and must not overlap another one; names are unique.
#pragma once

#include "fota/flash/nor_flash.hpp"
#include "fota/flash/result.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fota::flash {

/// Names the boot model and the store look for.
inline constexpr std::string_view kBootloaderPartition = "mcuboot";
inline constexpr std::string_view kPrimaryPartition = "mcuboot_primary";
inline constexpr std::string_view kSecondaryPartition = "mcuboot_secondary";
inline constexpr std::string_view kSettingsPartition = "settings_storage";

/// The nRF9160 default: MCUboot 48 KiB at 0, two 472 KiB slots, 32 KiB settings at the end.
inline constexpr std::string_view kNrf9160Layout =
    "mcuboot=48KiB,mcuboot_primary=472KiB,mcuboot_secondary=472KiB,settings_storage=32KiB";

struct Partition {
    std::string name;
    std::uint32_t offset = 0;
    std::uint32_t size = 0;
    std::uint32_t end() const { return offset + size; }
    bool operator==(const Partition&) const = default;
};

class PartitionTable {
public:
    /// Parses a layout for a flash geometry. Errors say which entry is wrong and why.
    static Result<PartitionTable> parse(std::string_view layout, const Geometry& geometry);

    /// The partition with this name, or nullptr.
    const Partition* find(std::string_view name) const;
    const std::vector<Partition>& partitions() const { return partitions_; }

    /// The layout with explicit offsets ("mcuboot@0x0=48KiB,..."); parses back to the same table.
    std::string to_string() const;

private:
    std::vector<Partition> partitions_;
};

} // namespace fota::flash
