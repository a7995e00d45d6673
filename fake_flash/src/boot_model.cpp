#include "fota/flash/boot_model.hpp"

#include "fota/flash/text.hpp"

#include <algorithm>
#include <array>
#include <vector>

namespace fota::flash {

namespace {

// MCUboot's trailer magic (bootutil's boot_img_magic, 16 bytes).
constexpr std::array<std::uint8_t, 16> kTrailerMagic = {
    0x77, 0xc2, 0x95, 0xf3, 0x60, 0xd2, 0xef, 0x7f, 0x35, 0x52, 0x50, 0x0f, 0x2c, 0xb6, 0x79, 0x80};

// Field indexes, counted from the magic towards the start of the trailer.
constexpr std::uint32_t kImageOkField = 0;
constexpr std::uint32_t kCopyDoneField = 1;
constexpr std::uint32_t kSwapInfoField = 2;
constexpr std::uint32_t kSwapSizeField = 3;
constexpr std::uint32_t kFirstStatusField = 4;
constexpr std::uint32_t kFlagSet = 0x01;

bool is_swap(SwapType type) {
    return type == SwapType::test || type == SwapType::permanent || type == SwapType::revert;
}

} // namespace

const char* to_string(SwapType type) {
    switch (type) {
    case SwapType::none:
        return "none";
    case SwapType::test:
        return "test";
    case SwapType::permanent:
        return "permanent";
    case SwapType::revert:
        return "revert";
    }
    return "unknown";
}

SwapType TrailerState::swap_type() const {
    const auto type = static_cast<SwapType>(swap_info);
    return is_swap(type) ? type : SwapType::none;
}

BootModel::BootModel(NorFlash& flash, Partition primary, Partition secondary)
    : flash_(&flash), primary_(std::move(primary)), secondary_(std::move(secondary)),
      page_size_(flash.geometry().page_size), slot_pages_(primary_.size / page_size_),
      field_size_(std::max<std::uint32_t>(4, flash.geometry().write_unit)) {}

Result<BootModel> BootModel::create(NorFlash& flash, const PartitionTable& partitions) {
    const Partition* primary = partitions.find(kPrimaryPartition);
    const Partition* secondary = partitions.find(kSecondaryPartition);
    if (primary == nullptr || secondary == nullptr) {
        return fail("the partition layout needs '" + std::string(kPrimaryPartition) + "' and '" +
                    std::string(kSecondaryPartition) + "'");
    }
    if (primary->size != secondary->size) {
        return fail("swap-move needs slots of equal size: primary " + hex(primary->size) +
                    ", secondary " + hex(secondary->size));
    }
    const Geometry& geometry = flash.geometry();
    const std::uint32_t pages = primary->size / geometry.page_size;
    if (pages < 3) {
        return fail("a slot needs at least 3 pages (image, move, trailer); it has " +
                    std::to_string(pages));
    }
    const std::uint32_t field = std::max<std::uint32_t>(4, geometry.write_unit);
    const std::uint64_t trailer =
        16 + static_cast<std::uint64_t>(kFirstStatusField + 3 * (pages - 2)) * field;
    if (trailer > geometry.page_size) {
        return fail("the swap trailer (" + std::to_string(trailer) +
                    " bytes) does not fit in one page (" + std::to_string(geometry.page_size) +
                    "): use fewer, larger pages per slot");
    }
    return BootModel(flash, *primary, *secondary);
}

std::uint32_t BootModel::field_address(Slot slot, std::uint32_t field) const {
    return partition(slot).end() - 16 - (field + 1) * field_size_;
}

FlashStatus BootModel::write_field(Slot slot, std::uint32_t field, std::uint32_t value) {
    std::vector<std::uint8_t> bytes(field_size_, flash_->geometry().erased_value);
    if (field == kSwapSizeField) {
        for (std::uint32_t i = 0; i < 4; ++i) {
            bytes[i] = static_cast<std::uint8_t>(value >> (8 * i));
        }
    } else {
        // A one-byte value (flag, status word, swap type): the rest of the field stays erased.
        bytes[0] = static_cast<std::uint8_t>(value);
    }
    return flash_->write(field_address(slot, field), bytes);
}

FlashStatus BootModel::write_magic(Slot slot) {
    return flash_->write(partition(slot).end() - 16, kTrailerMagic);
}

FlashStatus BootModel::erase_trailer(Slot slot) {
    return flash_->erase(partition(slot).offset + trailer_page_offset(), page_size_);
}

FlashStatus BootModel::read_trailer(Slot slot, TrailerState& state) {
    const Partition& part = partition(slot);
    const std::uint32_t start = part.offset + trailer_page_offset();
    std::vector<std::uint8_t> page(page_size_);
    if (FlashStatus status = flash_->read(start, page); status != FlashStatus::ok) {
        return status;
    }
    const std::uint8_t erased = flash_->geometry().erased_value;
    auto at = [&](std::uint32_t address) { return page.data() + (address - start); };
    auto is_set = [&](std::uint32_t field) {
        const std::uint8_t* bytes = at(field_address(slot, field));
        return std::any_of(bytes, bytes + field_size_, [erased](auto b) { return b != erased; });
    };
    const std::uint8_t* magic = at(part.end() - 16);
    state = TrailerState{};
    state.magic_good = std::equal(kTrailerMagic.begin(), kTrailerMagic.end(), magic);
    state.magic_erased = std::all_of(magic, magic + 16, [erased](auto b) { return b == erased; });
    state.image_ok = is_set(kImageOkField);
    state.copy_done = is_set(kCopyDoneField);
    state.swap_info = *at(field_address(slot, kSwapInfoField));
    const std::uint8_t* size = at(field_address(slot, kSwapSizeField));
    state.swap_pages =
        static_cast<std::uint32_t>(size[0]) | static_cast<std::uint32_t>(size[1]) << 8 |
        static_cast<std::uint32_t>(size[2]) << 16 | static_cast<std::uint32_t>(size[3]) << 24;
    if (state.magic_good && state.swap_pages <= slot_pages_ - 2) {
        const std::uint32_t steps = 3 * state.swap_pages;
        while (state.steps_done < steps && is_set(kFirstStatusField + state.steps_done)) {
            ++state.steps_done;
        }
    }
    return FlashStatus::ok;
}

Result<ImageInfo> BootModel::inspect(Slot slot) {
    const Partition& part = partition(slot);
    std::array<std::uint8_t, kImageHeaderSize> header_bytes{};
    if (FlashStatus status = flash_->read(part.offset, header_bytes); status != FlashStatus::ok) {
        return fail(std::string("flash ") + to_string(status) + " reading the image header",
                    status);
    }
    auto header = parse_image_header(header_bytes);
    if (!header) {
        return header.error();
    }
    // Everything parse_image may look at: up to the end of a maximal TLV area.
    const std::uint64_t wanted = static_cast<std::uint64_t>(header->header_size) +
                                 header->image_size + header->protected_tlv_size + 4 + 0xFFFF;
    const auto length =
        static_cast<std::uint32_t>(std::min<std::uint64_t>(wanted, max_image_size()));
    std::vector<std::uint8_t> bytes(length);
    if (FlashStatus status = flash_->read(part.offset, bytes); status != FlashStatus::ok) {
        return fail(std::string("flash ") + to_string(status) + " reading the image", status);
    }
    auto image = parse_image(bytes);
    if (!image) {
        return fail(image.error().message + " (a slot image may use at most " +
                    std::to_string(max_image_size()) + " bytes)");
    }
    return image;
}

std::uint32_t BootModel::image_pages(Slot slot) {
    auto image = inspect(slot);
    if (!image) {
        return 0;
    }
    return (image->total_size + page_size_ - 1) / page_size_;
}

FlashStatus BootModel::copy_page(Slot from, std::uint32_t from_page, Slot to,
                                 std::uint32_t to_page) {
    std::vector<std::uint8_t> buffer(page_size_);
    const std::uint32_t source = partition(from).offset + from_page * page_size_;
    const std::uint32_t target = partition(to).offset + to_page * page_size_;
    if (FlashStatus status = flash_->read(source, buffer); status != FlashStatus::ok) {
        return status;
    }
    if (FlashStatus status = flash_->erase(target, page_size_); status != FlashStatus::ok) {
        return status;
    }
    return flash_->write(target, buffer);
}

FlashStatus BootModel::do_step(std::uint32_t step, std::uint32_t pages) {
    if (step < pages) {
        // Move phase: last image page first, each one page up.
        const std::uint32_t page = pages - 1 - step;
        return copy_page(Slot::primary, page, Slot::primary, page + 1);
    }
    const std::uint32_t swap_step = step - pages;
    const std::uint32_t page = swap_step / 2;
    if (swap_step % 2 == 0) {
        return copy_page(Slot::secondary, page, Slot::primary, page);
    }
    return copy_page(Slot::primary, page + 1, Slot::secondary, page);
}

FlashStatus BootModel::run_swap(SwapType type, std::uint32_t pages, std::uint32_t first_step) {
    for (std::uint32_t step = first_step; step < 3 * pages; ++step) {
        if (FlashStatus status = do_step(step, pages); status != FlashStatus::ok) {
            return status;
        }
        if (FlashStatus status = write_field(Slot::primary, kFirstStatusField + step, kFlagSet);
            status != FlashStatus::ok) {
            return status;
        }
    }
    // The request goes first: with it gone and copy_done unset, a cut here resumes to this point.
    if (FlashStatus status = erase_trailer(Slot::secondary); status != FlashStatus::ok) {
        return status;
    }
    TrailerState primary;
    if (FlashStatus status = read_trailer(Slot::primary, primary); status != FlashStatus::ok) {
        return status;
    }
    if (type != SwapType::test && !primary.image_ok) {
        if (FlashStatus status = write_field(Slot::primary, kImageOkField, kFlagSet);
            status != FlashStatus::ok) {
            return status;
        }
    }
    return write_field(Slot::primary, kCopyDoneField, kFlagSet);
}

FlashStatus BootModel::start_swap(SwapType type, BootResult& result) {
    const std::uint32_t pages =
        std::max<std::uint32_t>({image_pages(Slot::primary), image_pages(Slot::secondary), 1});
    result.swap = type;
    if (FlashStatus status = erase_trailer(Slot::primary); status != FlashStatus::ok) {
        return status;
    }
    if (FlashStatus status = write_field(Slot::primary, kSwapSizeField, pages);
        status != FlashStatus::ok) {
        return status;
    }
    if (FlashStatus status =
            write_field(Slot::primary, kSwapInfoField, static_cast<std::uint32_t>(type));
        status != FlashStatus::ok) {
        return status;
    }
    if (FlashStatus status = write_magic(Slot::primary); status != FlashStatus::ok) {
        return status;
    }
    return run_swap(type, pages, 0);
}

BootResult BootModel::boot() {
    BootResult result;
    const std::uint64_t operations_before = flash_->counters().operations;
    auto stop = [&](FlashStatus status, const char* during) {
        result.booted = false;
        result.flash_status = status;
        result.error = std::string("flash ") + to_string(status) + " during " + during;
        result.flash_operations = flash_->counters().operations - operations_before;
        return result;
    };
    TrailerState primary;
    if (FlashStatus status = read_trailer(Slot::primary, primary); status != FlashStatus::ok) {
        return stop(status, "reading the primary trailer");
    }
    if (primary.magic_good && !primary.copy_done && primary.swap_type() != SwapType::none &&
        primary.swap_pages >= 1 && primary.swap_pages <= slot_pages_ - 2) {
        result.swap = primary.swap_type();
        result.resumed = true;
        if (FlashStatus status = run_swap(result.swap, primary.swap_pages, primary.steps_done);
            status != FlashStatus::ok) {
            return stop(status, "a resumed swap");
        }
    } else {
        TrailerState secondary;
        if (FlashStatus status = read_trailer(Slot::secondary, secondary);
            status != FlashStatus::ok) {
            return stop(status, "reading the secondary trailer");
        }
        if (secondary.magic_good) {
            const SwapType type = secondary.swap_type() == SwapType::revert ? SwapType::revert
                                  : secondary.image_ok                      ? SwapType::permanent
                                                                            : SwapType::test;
            bool swap = true;
            if (type != SwapType::revert) {
                auto image = inspect(Slot::secondary);
                if (!image) {
                    if (image.error().flash != FlashStatus::ok) {
                        return stop(image.error().flash, "validating the secondary image");
                    }
                    swap = false;
                    result.secondary_rejected = true;
                    result.rejection = image.error().message;
                    // The request goes first, so a cut mid-way cannot leave a request behind.
                    FlashStatus status = erase_trailer(Slot::secondary);
                    if (status == FlashStatus::ok) {
                        status = flash_->erase(secondary_.offset, trailer_page_offset());
                    }
                    if (status != FlashStatus::ok) {
                        return stop(status, "erasing a rejected secondary image");
                    }
                }
            }
            if (swap) {
                if (FlashStatus status = start_swap(type, result); status != FlashStatus::ok) {
                    return stop(status, "a swap");
                }
            }
        } else if (primary.magic_good && primary.copy_done && !primary.image_ok &&
                   primary.swap_type() == SwapType::test) {
            // Unconfirmed test image: record the revert in the secondary trailer first, so that
            // erasing the primary trailer when the swap starts cannot lose it.
            result.swap = SwapType::revert;
            FlashStatus status = erase_trailer(Slot::secondary);
            if (status == FlashStatus::ok) {
                status = write_field(Slot::secondary, kSwapInfoField,
                                     static_cast<std::uint32_t>(SwapType::revert));
            }
            if (status == FlashStatus::ok) {
                status = write_magic(Slot::secondary);
            }
            if (status != FlashStatus::ok) {
                return stop(status, "requesting a revert");
            }
            if (FlashStatus status = start_swap(SwapType::revert, result);
                status != FlashStatus::ok) {
                return stop(status, "a revert swap");
            }
        }
    }
    auto image = inspect(Slot::primary);
    if (!image) {
        if (image.error().flash != FlashStatus::ok) {
            return stop(image.error().flash, "validating the primary image");
        }
        result.booted = false;
        result.error = "no bootable image: primary slot: " + image.error().message;
        result.flash_operations = flash_->counters().operations - operations_before;
        return result;
    }
    if (FlashStatus status = read_trailer(Slot::primary, primary); status != FlashStatus::ok) {
        return stop(status, "reading the primary trailer");
    }
    result.booted = true;
    result.version = image->header.version;
    result.confirmed = !primary.magic_good || primary.image_ok;
    result.flash_operations = flash_->counters().operations - operations_before;
    return result;
}

FlashStatus BootModel::request_upgrade(UpgradeMode mode) {
    TrailerState secondary;
    if (FlashStatus status = read_trailer(Slot::secondary, secondary); status != FlashStatus::ok) {
        return status;
    }
    const bool permanent = mode == UpgradeMode::permanent;
    const SwapType type = permanent ? SwapType::permanent : SwapType::test;
    if (secondary.magic_good && secondary.swap_type() == type && secondary.image_ok == permanent) {
        return FlashStatus::ok;
    }
    if (FlashStatus status = erase_trailer(Slot::secondary); status != FlashStatus::ok) {
        return status;
    }
    if (FlashStatus status =
            write_field(Slot::secondary, kSwapInfoField, static_cast<std::uint32_t>(type));
        status != FlashStatus::ok) {
        return status;
    }
    if (permanent) {
        if (FlashStatus status = write_field(Slot::secondary, kImageOkField, kFlagSet);
            status != FlashStatus::ok) {
            return status;
        }
    }
    return write_magic(Slot::secondary);
}

FlashStatus BootModel::confirm() {
    TrailerState primary;
    if (FlashStatus status = read_trailer(Slot::primary, primary); status != FlashStatus::ok) {
        return status;
    }
    if (!primary.magic_good || primary.image_ok) {
        return FlashStatus::ok;
    }
    return write_field(Slot::primary, kImageOkField, kFlagSet);
}

} // namespace fota::flash
