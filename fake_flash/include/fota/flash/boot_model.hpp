// Boot model with MCUboot semantics over a NorFlash: image trailers, test and permanent upgrade
// requests, confirm, revert of an unconfirmed image on the next reset, hash check at boot, and a
// swap whose progress is persisted so that a power cut anywhere resumes to a consistent state.
//
// Algorithm: swap-move, as the nRF Connect SDK uses by default. It needs no scratch partition
// (the NCS nRF9160 layout has none) and wears the slots evenly: first every image page of the
// primary slot moves up by one page (last page first), then for each page i the secondary page i
// is copied to primary page i and the old image page (now at primary i+1) to secondary page i.
// Every step only reads pages that no later-or-current step writes, so a step interrupted at any
// point is simply redone. After each step one status word is written to the primary trailer.
//
// Trailer (last page of each slot; F = max(4, write unit) bytes per field, from the slot end):
//   magic (16 bytes, MCUboot's), image_ok, copy_done, swap_info (swap type), swap_size (pages),
//   then status word k for step k = 0..3n-1. A flag or status word is "set" when any of its bytes
//   differs from the erased value: such a word is only ever written once its meaning is true, so
//   a torn write of it still means "done". The magic must match exactly: it is written last and
//   commits the fields before it.
//
// States: primary magic good + copy_done unset = swap in progress (resume it). Secondary magic
// good = an upgrade request (image_ok set: permanent; swap_info revert: a revert). Primary magic
// good + copy_done set + image_ok unset after a test swap = unconfirmed: the next boot first
// writes a revert request into the secondary trailer, then swaps back.
//
// Limits: an image may use at most slot pages - 2 (one page for the move, one for the trailer),
// which is stricter than MCUboot's bound by less than one page; the trailer must fit in one page.
#pragma once

#include "fota/flash/mcuboot_image.hpp"
#include "fota/flash/nor_flash.hpp"
#include "fota/flash/partitions.hpp"
#include "fota/flash/result.hpp"

#include <cstdint>
#include <string>

namespace fota::flash {

enum class SwapType : std::uint8_t { none = 0, test = 2, permanent = 3, revert = 4 };
enum class UpgradeMode : std::uint8_t { test, permanent };
enum class Slot : std::uint8_t { primary, secondary };

const char* to_string(SwapType type);

/// The decoded trailer of one slot.
struct TrailerState {
    bool magic_good = false;  ///< the 16 magic bytes match exactly
    bool magic_erased = true; ///< all 16 magic bytes erased
    bool image_ok = false;
    bool copy_done = false;
    std::uint8_t swap_info = 0; ///< raw swap type byte (see SwapType)
    std::uint32_t swap_pages = 0;
    std::uint32_t steps_done = 0; ///< leading status words set (meaningful while swapping)
    SwapType swap_type() const;
};

/// What one boot did and what runs now.
struct BootResult {
    bool booted = false;                        ///< an image was validated and runs
    std::string error;                          ///< why not, when !booted
    FlashStatus flash_status = FlashStatus::ok; ///< power_lost when a cut stopped the boot
    ImageVersion version;                       ///< of the running image
    bool confirmed = false;          ///< image_ok set, or a primary without trailer (factory image)
    SwapType swap = SwapType::none;  ///< the swap carried out (or finished) by this boot
    bool resumed = false;            ///< the swap was an interrupted one, resumed
    bool secondary_rejected = false; ///< a requested image failed validation and was erased
    std::string rejection;           ///< why it was rejected
    std::uint64_t flash_operations = 0; ///< writes + erases this boot performed
    bool reverted() const { return swap == SwapType::revert; }
};

class BootModel {
public:
    /// Binds to the mcuboot_primary and mcuboot_secondary partitions. Errors if either is missing,
    /// their sizes differ, a slot has fewer than 3 pages, or the trailer does not fit in a page.
    static Result<BootModel> create(NorFlash& flash, const PartitionTable& partitions);

    /// Runs the bootloader: resumes an interrupted swap, or starts a requested or revert swap
    /// (validating a requested image first; an invalid one is erased and not booted), then
    /// validates the primary image. Stops at the first failing flash operation (a power cut),
    /// leaving a state that the next boot completes. Never throws.
    BootResult boot();

    /// The application's request: mark the secondary image for a test or permanent swap at the
    /// next boot (writes the secondary trailer; a no-op if the same request is already there).
    FlashStatus request_upgrade(UpgradeMode mode);

    /// The application confirms the running image (sets image_ok in the primary trailer); a
    /// no-op when already confirmed or when the primary has no trailer (factory image).
    FlashStatus confirm();

    /// Reads and decodes a slot's trailer.
    FlashStatus read_trailer(Slot slot, TrailerState& state);

    /// Parses and verifies the image in a slot (header, TLVs, SHA-256, fits the swap limit).
    Result<ImageInfo> inspect(Slot slot);

    const Partition& partition(Slot slot) const {
        return slot == Slot::primary ? primary_ : secondary_;
    }
    /// Largest image (header + body + TLVs) a slot can hold and swap.
    std::uint32_t max_image_size() const { return (slot_pages_ - 2) * page_size_; }
    /// Offset, from the slot start, of the trailer page.
    std::uint32_t trailer_page_offset() const { return (slot_pages_ - 1) * page_size_; }

private:
    BootModel(NorFlash& flash, Partition primary, Partition secondary);
    std::uint32_t field_address(Slot slot, std::uint32_t field) const;
    FlashStatus write_field(Slot slot, std::uint32_t field, std::uint32_t value);
    FlashStatus write_magic(Slot slot);
    FlashStatus erase_trailer(Slot slot);
    FlashStatus copy_page(Slot from, std::uint32_t from_page, Slot to, std::uint32_t to_page);
    FlashStatus start_swap(SwapType type, BootResult& result);
    FlashStatus run_swap(SwapType type, std::uint32_t pages, std::uint32_t first_step);
    FlashStatus do_step(std::uint32_t step, std::uint32_t pages);
    std::uint32_t image_pages(Slot slot);

    NorFlash* flash_;
    Partition primary_;
    Partition secondary_;
    std::uint32_t page_size_;
    std::uint32_t slot_pages_;
    std::uint32_t field_size_;
};

} // namespace fota::flash
