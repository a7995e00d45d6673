// Device: the fake flash and bootloader of one simulated nRF9160, as the device runtime uses it.
//
//   auto device = Device::open({});              // RAM flash, nRF9160 geometry and layout
//   BootResult boot = device->boot();           // power on + bootloader (+ store mounted)
//   device->erase_secondary(0, 4096); device->write_secondary(0, bytes);
//   device->request_upgrade(UpgradeMode::test); device->boot();  // reboot: test swap
//   device->confirm();                          // or the next boot reverts
//   device->store()->save("job", bytes);        // settings partition
//
// A reboot is boot() again: the runtime drops its core, boots, and builds the core again from
// what the flash and the store hold. Faults are armed on flash() (see FaultPlan); after a power
// cut every operation fails with power_lost until the next boot().
#pragma once

#include "fota/flash/boot_model.hpp"
#include "fota/flash/nor_flash.hpp"
#include "fota/flash/partitions.hpp"
#include "fota/flash/record_store.hpp"
#include "fota/flash/result.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

namespace fota::flash {

struct DeviceConfig {
    Geometry geometry; ///< nRF9160 by default
    std::string layout = std::string(kNrf9160Layout);
    WriteRule rule = WriteRule::strict;
    std::string file; ///< empty: RAM flash; else the backing file
};

class Device {
public:
    /// Creates the flash (RAM or file) and binds the boot model and the store partition. Errors
    /// on an invalid geometry or layout, or a backing file that cannot be used.
    static Result<std::unique_ptr<Device>> open(const DeviceConfig& config);

    /// Power on and run the bootloader; when an image boots, mount the store. A failed boot
    /// (power cut, no valid image, store unreadable) leaves store() empty.
    BootResult boot();

    /// The secondary slot, by offset from its start. Bounds are checked against the slot
    /// (out_of_range otherwise); the flash's alignment rules apply.
    FlashStatus erase_secondary(std::uint32_t offset, std::uint32_t length);
    FlashStatus write_secondary(std::uint32_t offset, std::span<const std::uint8_t> data);
    FlashStatus read_secondary(std::uint32_t offset, std::span<std::uint8_t> out);
    std::uint32_t secondary_size() const;

    FlashStatus request_upgrade(UpgradeMode mode) { return boot_model_.request_upgrade(mode); }
    FlashStatus confirm() { return boot_model_.confirm(); }

    /// The store mounted by the last successful boot, or nullptr.
    RecordStore* store() { return store_ ? &*store_ : nullptr; }

    NorFlash& flash() { return *flash_; }
    BootModel& boot_model() { return boot_model_; }
    const PartitionTable& partitions() const { return partitions_; }

private:
    Device(std::unique_ptr<NorFlash> flash, PartitionTable partitions, BootModel boot_model,
           Partition settings);

    std::unique_ptr<NorFlash> flash_;
    PartitionTable partitions_;
    BootModel boot_model_;
    Partition settings_;
    std::optional<RecordStore> store_;
};

} // namespace fota::flash
