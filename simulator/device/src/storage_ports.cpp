// One boot's flash, boot and store ports over the fake flash device (the secondary slot, the
// MCUboot boot model and the settings store), and the packed form in which the core's state
// record is stored. A flash operation that hits a power cut of a fault plan stops the boot here.
#include "boot_session.hpp"

#include <fota/flash/mcuboot_image.hpp>

#include <algorithm>
#include <vector>

namespace fota::sim {

namespace {

// The core's record has a fixed layout (2324 bytes, mostly the zero padding of a 2 KiB URL
// field). Runs of zeros are stored as (0, run length), so a save writes (and wears) only about
// as many bytes as the URL holds; the store takes up to RecordStore::kMaxValueSize (3 KiB), so
// even the longest URL the core accepts fits unpacked.
constexpr std::uint8_t kPackedRecordFormat = 0x5a;

std::vector<std::uint8_t> pack_record(std::span<const std::uint8_t> record) {
    std::vector<std::uint8_t> packed{kPackedRecordFormat};
    for (std::size_t i = 0; i < record.size();) {
        if (record[i] != 0) {
            packed.push_back(record[i++]);
            continue;
        }
        std::size_t run = 0;
        while (i < record.size() && record[i] == 0 && run < 255) {
            ++run;
            ++i;
        }
        packed.push_back(0);
        packed.push_back(static_cast<std::uint8_t>(run));
    }
    return packed;
}

// False if the stored bytes are not a packed record or do not fit `out`.
bool unpack_record(std::span<const std::uint8_t> packed, std::span<std::uint8_t> out,
                   std::size_t& length) {
    if (packed.empty() || packed[0] != kPackedRecordFormat) {
        return false;
    }
    std::size_t used = 0;
    for (std::size_t i = 1; i < packed.size(); ++i) {
        std::size_t count = 1;
        std::uint8_t value = packed[i];
        if (value == 0) {
            if (i + 1 >= packed.size() || packed[i + 1] == 0) {
                return false;
            }
            count = packed[++i];
        }
        if (used + count > out.size()) {
            return false;
        }
        std::fill_n(out.begin() + static_cast<std::ptrdiff_t>(used), count, value);
        used += count;
    }
    length = used;
    return true;
}

} // namespace

// ---- Flash ---------------------------------------------------------------------------------

FlashGeometry BootSession::geometry() const {
    FlashGeometry geometry;
    geometry.slot_size = device_.boot_model().max_image_size();
    geometry.erase_page_size = device_.flash().geometry().page_size;
    geometry.write_block_size = device_.flash().geometry().write_unit;
    return geometry;
}

PortStatus BootSession::erase(std::uint32_t offset, std::uint32_t length) {
    if (dead_) {
        return PortStatus::Error;
    }
    return flash_result(device_.erase_secondary(offset, length));
}

PortStatus BootSession::write(std::uint32_t offset, std::span<const std::uint8_t> data) {
    if (dead_) {
        return PortStatus::Error;
    }
    return flash_result(device_.write_secondary(offset, data));
}

// The image read back from the slot and hashed in software (the nRF9160 hashes with the CC310).
// Read in the core's former 512-byte chunks, so that the flash sees the same reads as before.
PortStatus BootSession::sha256(std::uint32_t length, Digest& digest) {
    std::vector<std::uint8_t> image(length);
    for (std::uint32_t offset = 0; offset < length;) {
        const std::uint32_t chunk = std::min<std::uint32_t>(length - offset, kFlashWriteBufferSize);
        if (dead_) {
            return PortStatus::Error;
        }
        const PortStatus read = flash_result(
            device_.read_secondary(offset, std::span<std::uint8_t>(image).subspan(offset, chunk)));
        if (read != PortStatus::Ok) {
            return read;
        }
        offset += chunk;
    }
    digest = flash::sha256(image);
    return PortStatus::Ok;
}

PortStatus BootSession::flash_result(flash::FlashStatus status) {
    if (status == flash::FlashStatus::ok) {
        return PortStatus::Ok;
    }
    if (status == flash::FlashStatus::power_lost && !power_lost_reported_) {
        // The power is gone at this instant: the core's call stack unwinds, but nothing it
        // asks for afterwards happens (no FAILED report, no state save, no timer).
        power_lost_reported_ = true;
        lose_power();
        host_.power_lost();
    }
    return PortStatus::Error;
}

// ---- Boot ----------------------------------------------------------------------------------

PortStatus BootSession::request_upgrade(bool permanent) {
    if (dead_) {
        return PortStatus::Error;
    }
    return flash_result(device_.request_upgrade(permanent ? flash::UpgradeMode::permanent
                                                          : flash::UpgradeMode::test));
}

PortStatus BootSession::confirm() {
    if (dead_) {
        return PortStatus::Error;
    }
    const PortStatus result = flash_result(device_.confirm());
    if (result == PortStatus::Ok) {
        boot_info_.confirmed = true;
    }
    return result;
}

void BootSession::reboot() {
    if (dead_) {
        return;
    }
    logger_->info("[{}] reboot requested by the core", options_.thing_name);
    host_.request_reboot(true);
}

// ---- Store ---------------------------------------------------------------------------------

PortStatus BootSession::load(std::span<std::uint8_t> out, std::size_t& length) {
    if (dead_) {
        return PortStatus::Error;
    }
    flash::RecordStore* store = device_.store();
    if (store == nullptr) {
        return PortStatus::Error;
    }
    const auto record = store->load(kStateRecordKey);
    if (!record) {
        return PortStatus::NotFound;
    }
    if (!unpack_record(*record, out, length)) {
        logger_->error("[{}] the stored state record is malformed ({} bytes)", options_.thing_name,
                       record->size());
        return PortStatus::Error;
    }
    return PortStatus::Ok;
}

PortStatus BootSession::save(std::span<const std::uint8_t> record) {
    if (dead_) {
        return PortStatus::Error;
    }
    flash::RecordStore* store = device_.store();
    if (store == nullptr) {
        return PortStatus::Error;
    }
    const auto saved = store->save(kStateRecordKey, pack_record(record));
    if (!saved) {
        logger_->error("[{}] cannot save the state record: {}", options_.thing_name,
                       saved.error().message);
        return flash_result(saved.error().flash == flash::FlashStatus::ok
                                ? flash::FlashStatus::write_failed
                                : saved.error().flash);
    }
    return PortStatus::Ok;
}

} // namespace fota::sim
