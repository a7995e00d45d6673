// RecordStore: small persisted records (key -> bytes) in the settings partition, safe against
// power cuts at any flash operation and spreading wear over the partition's pages.
//
// Layout: the partition is a ring of pages. The active page is the valid page with the highest
// sequence number; it starts with a page header (magic, sequence, CRC-32) and then holds
// records appended one after another: [0xA5][flags][key length][0][value length u32][CRC-32 of
// the previous 8 bytes, the key and the value] key value, padded to the write unit. A record is
// written by one flash write, so a cut leaves it whole or torn; a torn record fails its CRC and
// is ignored (the key keeps its previous value), and nothing after it is trusted.
//
// When a record does not fit, or the active page has a torn tail, the store compacts into the
// next page of the ring: erase it, write every live record, then write its page header last.
// Until that header is complete the old page stays the valid one, so a cut during compaction
// loses nothing. Pages are used round robin, so erases spread evenly; a page whose erase fails
// (worn out) is skipped.
#pragma once

#include "fota/flash/nor_flash.hpp"
#include "fota/flash/partitions.hpp"
#include "fota/flash/result.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fota::flash {

struct StoreStats {
    std::uint32_t pages = 0;
    std::optional<std::uint32_t> active_page; ///< none before the first save
    std::uint32_t sequence = 0;
    std::uint32_t used_bytes = 0;  ///< of the active page, header included
    bool torn_tail = false;        ///< a torn record was found; the next save compacts
    std::uint64_t compactions = 0; ///< since mount
    std::uint32_t records = 0;     ///< live keys
};

/// CRC-32 (IEEE 802.3, reflected, as zlib's crc32) of bytes, continuing from `crc`.
std::uint32_t crc32(std::span<const std::uint8_t> bytes, std::uint32_t crc = 0);

class RecordStore {
public:
    static constexpr std::size_t kMaxKeySize = 64;
    static constexpr std::size_t kMaxValueSize = 3072;

    /// Reads the partition and rebuilds the records. Never writes. Errors if the partition has
    /// fewer than 2 pages or a page is smaller than a maximal record, or on a read failure.
    static Result<RecordStore> mount(NorFlash& flash, const Partition& partition);

    /// The value of a key, or nothing.
    std::optional<std::vector<std::uint8_t>> load(std::string_view key) const;

    /// Sets a key atomically: after a power cut at any point the key has either its old or its
    /// new value. Errors: key empty or longer than kMaxKeySize, value longer than kMaxValueSize,
    /// live records no longer fitting in one page ("store full"), or a flash failure (Error::flash
    /// says which; on power_lost the caller reboots and mounts again).
    Status save(std::string_view key, std::span<const std::uint8_t> value);

    /// Deletes a key atomically (a no-op if absent). Same errors as save().
    Status remove(std::string_view key);

    std::vector<std::string> keys() const;
    StoreStats stats() const;

private:
    RecordStore(NorFlash& flash, const Partition& partition);
    Status scan();
    Status append(std::string_view key, std::span<const std::uint8_t> value, bool tombstone);
    Status compact(const std::map<std::string, std::vector<std::uint8_t>, std::less<>>& records);
    std::vector<std::uint8_t> encode(std::string_view key, std::span<const std::uint8_t> value,
                                     bool tombstone) const;
    std::uint32_t header_size() const;
    std::uint32_t round_up(std::uint32_t size) const;

    NorFlash* flash_;
    Partition partition_;
    std::uint32_t page_size_;
    std::uint32_t pages_;
    std::map<std::string, std::vector<std::uint8_t>, std::less<>> records_;
    std::optional<std::uint32_t> active_;
    std::uint32_t sequence_ = 0;
    std::uint32_t write_offset_ = 0; ///< within the active page
    bool torn_tail_ = false;
    std::uint64_t compactions_ = 0;
};

} // namespace fota::flash
