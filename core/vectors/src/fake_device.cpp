// The fake device under the agent (fake_device.hpp): strict NOR slot, boot model and store.
#include "fota/fake_device.hpp"

#include "fota/json_writer.hpp"
#include "fota/names.hpp"
#include "fota/sha256.hpp"

#include <algorithm>

namespace fota::script {

FakeDevice::FakeDevice(std::span<std::uint8_t> slot, const FlashGeometry& geometry,
                       ImageVersion running_image, ImageVersion new_image_version)
    : running(running_image), previous(running_image), new_image(new_image_version),
      slot_(slot.first(std::min<std::size_t>(slot.size(), geometry.slot_size))),
      geometry_(geometry) {
    geometry_.slot_size = static_cast<std::uint32_t>(slot_.size());
    std::fill(slot_.begin(), slot_.end(), 0xFF);
}

void FakeDevice::run_boot_loader() {
    reverted = false;
    if (testing && !confirmed) {
        running = previous;
        confirmed = true;
        reverted = true;
        testing = false;
    } else if (upgrade_pending) {
        if (refuse_next_image) {
            refuse_next_image = false;
        } else {
            previous = running;
            running = new_image;
            testing = !upgrade_permanent;
            confirmed = upgrade_permanent;
        }
    }
    upgrade_pending = false;
    upgrade_permanent = false;
}

FlashGeometry FakeDevice::geometry() const {
    return geometry_;
}

PortStatus FakeDevice::erase(std::uint32_t offset, std::uint32_t length) {
    std::array<char, 48> text{};
    TextBuilder(text).append_uint(offset).append_char(' ').append_uint(length);
    port_called(kFlash, "flash.erase", text.data());
    if (offset % geometry_.erase_page_size != 0 || length % geometry_.erase_page_size != 0 ||
        offset + length > slot_.size()) {
        violation("flash erase not page aligned or out of the slot");
        return PortStatus::Error;
    }
    std::fill_n(slot_.data() + offset, length, 0xFF);
    return PortStatus::Ok;
}

PortStatus FakeDevice::write(std::uint32_t offset, std::span<const std::uint8_t> data) {
    std::array<char, 48> text{};
    TextBuilder(text).append_uint(offset).append_char(' ').append_uint(data.size());
    port_called(kFlash, "flash.write", text.data());
    ++flash_writes;
    if (fail_next_write) {
        fail_next_write = false;
        return PortStatus::Error;
    }
    if (offset % geometry_.write_block_size != 0 || data.size() % geometry_.write_block_size != 0 ||
        offset + data.size() > slot_.size()) {
        violation("flash write not aligned or out of the slot");
        return PortStatus::Error;
    }
    for (std::size_t i = 0; i < data.size(); ++i) {
        if (slot_[offset + i] != 0xFF) {
            std::array<char, 64> at{};
            TextBuilder(at).append("flash write over unerased byte at ").append_uint(offset + i);
            violation(at.data());
            return PortStatus::Error;
        }
        slot_[offset + i] = data[i];
    }
    return PortStatus::Ok;
}

PortStatus FakeDevice::sha256(std::uint32_t length, Digest& digest) {
    if (length > slot_.size()) {
        violation("flash hash out of the slot");
        return PortStatus::Error;
    }
    Sha256 hash;
    hash.update(slot_.first(length));
    digest = hash.finish();
    return PortStatus::Ok;
}

BootInfo FakeDevice::boot_info() const {
    return BootInfo{running, confirmed, reverted};
}

PortStatus FakeDevice::request_upgrade(bool permanent) {
    port_called(kBoot, "boot.request_upgrade", permanent ? "permanent" : "test");
    upgrade_pending = true;
    upgrade_permanent = permanent;
    return PortStatus::Ok;
}

PortStatus FakeDevice::confirm() {
    port_called(kBoot, "boot.confirm", {});
    confirmed = true;
    testing = false;
    return PortStatus::Ok;
}

void FakeDevice::reboot() {
    port_called(kBoot, "boot.reboot", {});
    ++reboots;
}

PortStatus FakeDevice::load(std::span<std::uint8_t> out, std::size_t& length) {
    if (record_length_ == 0) {
        return PortStatus::NotFound;
    }
    if (out.size() < record_length_) {
        return PortStatus::Error;
    }
    std::copy_n(record_.begin(), record_length_, out.begin());
    length = record_length_;
    return PortStatus::Ok;
}

PortStatus FakeDevice::save(std::span<const std::uint8_t> record) {
    if (record.size() > record_.size()) {
        violation("state record larger than the store");
        return PortStatus::Error;
    }
    std::copy(record.begin(), record.end(), record_.begin());
    record_length_ = record.size();
    PersistedState decoded;
    (void)decode_state(record, decoded);
    port_called(kStore, "store.save", phase_text(decoded.phase));
    return PortStatus::Ok;
}

} // namespace fota::script
