// The MCUboot slots of a device group's flash (see flash_layout.hpp).
#include "flash_layout.hpp"

#include <algorithm>
#include <sstream>

namespace fota::sim::runner {

FlashLayout flash_layout(const FlashGeometry& g) {
    FlashLayout out;
    const FlashGeometry defaults;
    out.page_size = g.page_size;
    out.erased_value = g.erased_value;
    if (g.size == defaults.size && g.page_size == defaults.page_size &&
        g.write_unit == defaults.write_unit && g.erased_value == defaults.erased_value) {
        return out;
    }
    const std::uint64_t page = g.page_size;
    const auto whole_pages = [page](std::uint64_t bytes) {
        return (bytes + page - 1) / page * page;
    };
    const std::uint64_t boot = whole_pages(48 * 1024);
    const std::uint64_t storage_min = std::max<std::uint64_t>(whole_pages(32 * 1024), 2 * page);
    const std::uint64_t slot =
        g.size > boot + storage_min ? (g.size - boot - storage_min) / 2 / page * page : 0;
    const std::uint64_t storage = g.size - boot - 2 * slot;
    const auto kib = [](std::uint64_t bytes) { return std::to_string(bytes / 1024) + "KiB"; };
    std::ostringstream erased;
    erased << "0x" << std::hex << static_cast<unsigned>(g.erased_value);
    out.geometry = "size=" + kib(g.size) + ",page=" + kib(page) +
                   ",write=" + std::to_string(g.write_unit) + ",erased=" + erased.str();
    out.layout = "mcuboot=" + kib(boot) + ",mcuboot_primary=" + kib(slot) +
                 ",mcuboot_secondary=" + kib(slot) + ",settings_storage=" + kib(storage);
    out.primary_offset = boot;
    out.secondary_offset = boot + slot;
    out.slot_size = slot;
    out.storage_size = storage;
    return out;
}

std::pair<std::uint64_t, std::uint64_t> partition_region(const FlashLayout& flash,
                                                         FlashFaultStep::Partition partition) {
    using P = FlashFaultStep::Partition;
    switch (partition) {
    case P::mcuboot:
        return {0, flash.primary_offset};
    case P::primary:
        return {flash.primary_offset, flash.slot_size};
    case P::secondary:
        return {flash.secondary_offset, flash.slot_size};
    case P::storage:
        return {flash.secondary_offset + flash.slot_size, flash.storage_size};
    case P::any:
        break;
    }
    return {0, flash.secondary_offset + flash.slot_size + flash.storage_size};
}

} // namespace fota::sim::runner
