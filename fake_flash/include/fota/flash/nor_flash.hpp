// NorFlash: a NOR flash model strict enough that a power cut finds real bugs.
//
// Rules (like real NOR): erase works on whole pages and sets every byte to the erased value;
// a write can only move bits away from the erased value. In strict mode (the default, for tests)
// a misaligned offset or length and a write over bytes that are not erased are errors that leave
// the flash unchanged and are counted in FlashCounters::violations; in permissive mode such a
// write combines into the cell like real NOR (AND for erased 0xFF, OR for erased 0x00).
//
// Operations are writes and page erases (an erase of several pages is one operation per page).
// A FaultPlan armed on the flash counts operations from 1 and injects its faults; after a power
// cut every operation (reads included) returns power_lost until power_on().
//
// Storage: page by page. An erased page holds nothing; a page written to its last byte (or all
// pages at boot, share_own_pages()) is interned in a PageStore and shared with every flash that
// holds the same bytes; a page being written is this flash's own copy until then (copy on write).
// A file-backed flash keeps the same pages in RAM and writes every operation through.
#pragma once

#include "fota/flash/fault_plan.hpp"
#include "fota/flash/page_store.hpp"
#include "fota/flash/result.hpp"
#include "fota/flash/rng.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fota::flash {

struct Geometry {
    std::uint32_t size = 1024 * 1024; ///< total bytes
    std::uint32_t page_size = 4096;   ///< erase unit
    std::uint32_t write_unit = 4;     ///< program unit: 1, 2, 4, 8 or 16
    std::uint8_t erased_value = 0xFF; ///< 0xFF or 0x00

    std::uint32_t page_count() const { return size / page_size; }
    bool operator==(const Geometry&) const = default;

    /// Checks the geometry is usable: page a power of two >= write unit, size a multiple of page.
    Status validate() const;

    /// "size=1MiB,page=4KiB,write=4,erased=0xff"; parse(to_string()) == *this.
    std::string to_string() const;

    /// Parses the form above; omitted keys keep the nRF9160 defaults.
    static Result<Geometry> parse(std::string_view text);

    /// The nRF9160: 1 MiB, 4 KiB pages, 4-byte write unit, erased 0xFF.
    static Geometry nrf9160() { return Geometry{}; }
};

enum class WriteRule : std::uint8_t { strict, permissive };

struct FlashCounters {
    std::uint64_t operations = 0; ///< writes + page erases attempted while powered
    std::uint64_t write_ops = 0;
    std::uint64_t erase_ops = 0; ///< page erases
    std::uint64_t bytes_written = 0;
    std::uint64_t read_ops = 0;
    std::uint64_t bytes_read = 0;
    std::uint64_t bits_flipped = 0; ///< by a read-flip fault
    std::uint64_t violations = 0;   ///< strict-mode rule violations (a test should see 0)
    std::uint64_t power_cuts = 0;
    std::vector<std::uint32_t> erases_per_page; ///< lifetime erase cycles of each page
};

class NorFlash {
public:
    /// An erased RAM-backed flash whose pages are shared through `store` (nullptr: the process's
    /// store). Errors if the geometry is invalid.
    static Result<std::unique_ptr<NorFlash>> create_ram(const Geometry& geometry,
                                                        WriteRule rule = WriteRule::strict,
                                                        std::shared_ptr<PageStore> store = {});

    /// A flash backed by a file of exactly geometry.size bytes (created erased if missing) plus
    /// "<path>.wear" holding each page's erase count, so contents and wear survive a process
    /// restart. Every operation is written through. Errors if the file has another size.
    static Result<std::unique_ptr<NorFlash>> open_file(const std::string& path,
                                                       const Geometry& geometry,
                                                       WriteRule rule = WriteRule::strict);

    ~NorFlash();
    NorFlash(const NorFlash&) = delete;
    NorFlash& operator=(const NorFlash&) = delete;

    /// Reads bytes (any alignment). Read flips of the armed plan apply to `out`, never to the
    /// stored contents.
    FlashStatus read(std::uint32_t address, std::span<std::uint8_t> out);

    /// Programs bytes. Strict: address and length multiples of the write unit, every target byte
    /// erased. One operation.
    FlashStatus write(std::uint32_t address, std::span<const std::uint8_t> data);

    /// Erases whole pages: address and length multiples of the page size (in both modes). One
    /// operation per page, in ascending order; a cut stops at the page it hits.
    FlashStatus erase(std::uint32_t address, std::uint32_t length);

    /// Arms a plan: operation numbering restarts at 1 and the plan's faults apply from now on.
    void arm(const FaultPlan& plan);
    /// Removes the plan (the flash stays powered or not as it is).
    void disarm();
    const FaultPlan& plan() const { return plan_; }
    /// Operations counted since the plan was armed (or since creation).
    std::uint64_t operations_since_arm() const { return since_arm_; }

    bool powered() const { return powered_; }
    /// Restores power after a cut. A power cut fires once: it is removed from plan() when it
    /// happens, so arming a plan before power_on() keeps that plan's cut.
    void power_on();

    const Geometry& geometry() const { return geometry_; }
    WriteRule rule() const { return rule_; }
    const FlashCounters& counters() const { return counters_; }
    /// Message of the last strict-mode violation, for test failure output.
    const std::string& last_violation() const { return last_violation_; }

    /// Copies stored bytes (no faults, not counted, powered or not): for assertions and
    /// expectations. out_of_range (and `out` untouched) if the range leaves the flash.
    FlashStatus peek(std::uint32_t address, std::span<std::uint8_t> out) const;
    /// All stored bytes as one copy (geometry().size bytes), e.g. for a sweep's snapshot.
    std::vector<std::uint8_t> snapshot() const;
    /// Replaces the stored bytes (same size), e.g. to restart a sweep from a snapshot.
    /// Counters other than erases_per_page are left alone. Errors on a size mismatch.
    Status restore(std::span<const std::uint8_t> contents);

    /// Interns every page this flash still holds as its own copy (a partly written page), so
    /// that it is shared if another flash holds the same bytes. Contents do not change.
    void share_own_pages();

    /// How the pages are held, for tests and measurements.
    struct PageUse {
        std::uint32_t erased = 0; ///< hold nothing
        std::uint32_t shared = 0; ///< interned in the store
        std::uint32_t own = 0;    ///< this flash's own copy
    };
    PageUse page_use() const;
    const PageStore& store() const { return *store_; }

private:
    // A page this flash writes in place; a flash has few at a time (a page being written, the
    // settings store's), so they are a short list beside the page table, which stays 8 bytes a
    // page.
    struct OwnPage {
        std::uint32_t page = 0;
        std::unique_ptr<std::uint8_t[]> bytes;
    };

    NorFlash(const Geometry& geometry, WriteRule rule, std::shared_ptr<PageStore> store);
    const std::uint8_t* page_bytes(std::uint32_t page) const; // nullptr: erased
    OwnPage* find_own(std::uint32_t page);
    const OwnPage* find_own(std::uint32_t page) const;
    void remove_own(OwnPage& own);
    std::uint8_t* own_page(std::uint32_t page); // copies a shared or erased page
    void share_page(std::uint32_t page);
    void drop_page(std::uint32_t page);
    void load(std::span<const std::uint8_t> contents);
    void copy_out(std::uint32_t address, std::span<std::uint8_t> out) const;
    std::optional<std::uint32_t> first_unerased(std::uint32_t address, std::uint32_t length) const;
    std::uint8_t& cell(std::uint32_t address) {
        return own_page(address / geometry_.page_size)[address % geometry_.page_size];
    }
    FlashStatus begin_operation(FlashOperation operation, std::uint32_t address,
                                std::uint32_t length, bool& torn);
    void program(std::uint32_t address, std::span<const std::uint8_t> data);
    void torn_program(std::uint32_t address, std::span<const std::uint8_t> data);
    void torn_erase(std::uint32_t page);
    FlashStatus persist(std::uint32_t address, std::uint32_t length);
    FlashStatus persist_wear(std::uint32_t page);
    FlashStatus violation(FlashStatus status, std::string message);

    Geometry geometry_;
    WriteRule rule_;
    std::shared_ptr<PageStore> store_;
    std::vector<const PageStore::Page*> shared_; // per page; nullptr: erased or own
    std::vector<OwnPage> own_;
    std::vector<std::uint8_t> erased_page_; // file-backed only: the bytes persist() writes
    FlashCounters counters_;
    FaultPlan plan_;
    std::uint64_t since_arm_ = 0;
    bool powered_ = true;
    std::optional<SplitMix64> flip_rng_;
    std::uint64_t torn_seed_ = 0;
    std::string last_violation_;
    int fd_ = -1;
    int wear_fd_ = -1;
};

} // namespace fota::flash
