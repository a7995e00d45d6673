#include "fota/flash/device.hpp"

namespace fota::flash {

Device::Device(std::unique_ptr<NorFlash> flash, PartitionTable partitions, BootModel boot_model,
               Partition settings)
    : flash_(std::move(flash)), partitions_(std::move(partitions)),
      boot_model_(std::move(boot_model)), settings_(std::move(settings)) {}

Result<std::unique_ptr<Device>> Device::open(const DeviceConfig& config) {
    auto table = PartitionTable::parse(config.layout, config.geometry);
    if (!table) {
        return table.error();
    }
    const Partition* settings = table->find(kSettingsPartition);
    if (settings == nullptr) {
        return fail("the partition layout needs '" + std::string(kSettingsPartition) + "'");
    }
    auto flash = config.file.empty()
                     ? NorFlash::create_ram(config.geometry, config.rule)
                     : NorFlash::open_file(config.file, config.geometry, config.rule);
    if (!flash) {
        return flash.error();
    }
    auto boot_model = BootModel::create(*flash.value(), table.value());
    if (!boot_model) {
        return boot_model.error();
    }
    const Partition settings_copy = *settings;
    return std::unique_ptr<Device>(new Device(std::move(flash.value()), std::move(table.value()),
                                              std::move(boot_model.value()), settings_copy));
}

BootResult Device::boot() {
    store_.reset();
    flash_->power_on();
    // A boot is rare and follows whatever the last run left half written (the last page of a
    // download, a trailer): share those pages now.
    flash_->share_own_pages();
    BootResult result = boot_model_.boot();
    if (!result.booted) {
        return result;
    }
    auto store = RecordStore::mount(*flash_, settings_);
    if (!store) {
        result.booted = false;
        result.flash_status = store.error().flash;
        result.error = store.error().message;
        return result;
    }
    store_.emplace(std::move(store.value()));
    return result;
}

std::uint32_t Device::secondary_size() const {
    return boot_model_.partition(Slot::secondary).size;
}

FlashStatus Device::erase_secondary(std::uint32_t offset, std::uint32_t length) {
    const Partition& slot = boot_model_.partition(Slot::secondary);
    if (static_cast<std::uint64_t>(offset) + length > slot.size) {
        return FlashStatus::out_of_range;
    }
    return flash_->erase(slot.offset + offset, length);
}

FlashStatus Device::write_secondary(std::uint32_t offset, std::span<const std::uint8_t> data) {
    const Partition& slot = boot_model_.partition(Slot::secondary);
    if (static_cast<std::uint64_t>(offset) + data.size() > slot.size) {
        return FlashStatus::out_of_range;
    }
    return flash_->write(slot.offset + offset, data);
}

FlashStatus Device::read_secondary(std::uint32_t offset, std::span<std::uint8_t> out) {
    const Partition& slot = boot_model_.partition(Slot::secondary);
    if (static_cast<std::uint64_t>(offset) + out.size() > slot.size) {
        return FlashStatus::out_of_range;
    }
    return flash_->read(slot.offset + offset, out);
}

} // namespace fota::flash
