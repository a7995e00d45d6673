#include "fota/flash/record_store.hpp"

#include "fota/flash/text.hpp"

#include <algorithm>
#include <array>

namespace fota::flash {

namespace {

constexpr std::uint32_t kPageMagic = 0x31535346; // "FSS1"
constexpr std::uint8_t kRecordMagic = 0xA5;
constexpr std::uint8_t kTombstone = 0x01;
constexpr std::uint32_t kRecordHeaderSize = 12;

std::array<std::uint32_t, 256> make_crc_table() {
    std::array<std::uint32_t, 256> table{};
    for (std::uint32_t i = 0; i < 256; ++i) {
        std::uint32_t c = i;
        for (int bit = 0; bit < 8; ++bit) {
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        }
        table[i] = c;
    }
    return table;
}

std::uint32_t load32(const std::uint8_t* at) {
    return static_cast<std::uint32_t>(at[0]) | static_cast<std::uint32_t>(at[1]) << 8 |
           static_cast<std::uint32_t>(at[2]) << 16 | static_cast<std::uint32_t>(at[3]) << 24;
}

void store32(std::uint8_t* at, std::uint32_t value) {
    for (int i = 0; i < 4; ++i) {
        at[i] = static_cast<std::uint8_t>(value >> (8 * i));
    }
}

Error flash_error(FlashStatus status, const std::string& during) {
    return fail(std::string("store: flash ") + to_string(status) + " while " + during, status);
}

} // namespace

std::uint32_t crc32(std::span<const std::uint8_t> bytes, std::uint32_t crc) {
    static const std::array<std::uint32_t, 256> table = make_crc_table();
    crc = ~crc;
    for (std::uint8_t byte : bytes) {
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8);
    }
    return ~crc;
}

RecordStore::RecordStore(NorFlash& flash, const Partition& partition)
    : flash_(&flash), partition_(partition), page_size_(flash.geometry().page_size),
      pages_(partition.size / flash.geometry().page_size) {}

std::uint32_t RecordStore::round_up(std::uint32_t size) const {
    const std::uint32_t unit = flash_->geometry().write_unit;
    return (size + unit - 1) / unit * unit;
}

std::uint32_t RecordStore::header_size() const {
    return round_up(12);
}

Result<RecordStore> RecordStore::mount(NorFlash& flash, const Partition& partition) {
    RecordStore store(flash, partition);
    if (store.pages_ < 2) {
        return fail("store partition '" + partition.name + "' needs at least 2 pages, has " +
                    std::to_string(store.pages_));
    }
    if (store.header_size() + store.round_up(kRecordHeaderSize + kMaxKeySize + kMaxValueSize) >
        store.page_size_) {
        return fail("store pages of " + std::to_string(store.page_size_) +
                    " bytes cannot hold a maximal record");
    }
    if (auto scanned = store.scan(); !scanned) {
        return scanned.error();
    }
    return store;
}

Status RecordStore::scan() {
    std::vector<std::uint8_t> page(page_size_);
    std::optional<std::uint32_t> best;
    std::uint32_t best_sequence = 0;
    for (std::uint32_t index = 0; index < pages_; ++index) {
        std::array<std::uint8_t, 12> header{};
        if (FlashStatus status = flash_->read(partition_.offset + index * page_size_, header);
            status != FlashStatus::ok) {
            return flash_error(status, "reading a page header");
        }
        if (load32(header.data()) != kPageMagic ||
            load32(header.data() + 8) != crc32(std::span(header).first(8))) {
            continue;
        }
        const std::uint32_t sequence = load32(header.data() + 4);
        if (!best || sequence > best_sequence) {
            best = index;
            best_sequence = sequence;
        }
    }
    records_.clear();
    active_ = best;
    sequence_ = best_sequence;
    torn_tail_ = false;
    write_offset_ = header_size();
    if (!best) {
        return success();
    }
    if (FlashStatus status = flash_->read(partition_.offset + *best * page_size_, page);
        status != FlashStatus::ok) {
        return flash_error(status, "reading the active page");
    }
    const std::uint8_t erased = flash_->geometry().erased_value;
    std::uint32_t offset = header_size();
    while (offset + kRecordHeaderSize <= page_size_) {
        const std::uint8_t* record = page.data() + offset;
        if (std::all_of(record, record + kRecordHeaderSize,
                        [erased](std::uint8_t b) { return b == erased; })) {
            break; // the end of the log
        }
        const std::uint32_t key_size = record[2];
        const std::uint32_t value_size = load32(record + 4);
        const bool header_ok = record[0] == kRecordMagic && (record[1] & ~kTombstone) == 0 &&
                               record[3] == 0 && key_size >= 1 && key_size <= kMaxKeySize &&
                               value_size <= kMaxValueSize;
        const std::uint32_t size =
            header_ok ? round_up(kRecordHeaderSize + key_size + value_size) : 0;
        if (!header_ok || offset + size > page_size_) {
            torn_tail_ = true;
            break;
        }
        std::uint32_t crc = crc32(std::span<const std::uint8_t>(record, 8));
        crc = crc32(
            std::span<const std::uint8_t>(record + kRecordHeaderSize, key_size + value_size), crc);
        if (crc != load32(record + 8)) {
            torn_tail_ = true;
            break;
        }
        std::string key(reinterpret_cast<const char*>(record + kRecordHeaderSize), key_size);
        if (record[1] & kTombstone) {
            records_.erase(key);
        } else {
            const std::uint8_t* value = record + kRecordHeaderSize + key_size;
            records_[key] = std::vector<std::uint8_t>(value, value + value_size);
        }
        offset += size;
    }
    write_offset_ = offset;
    return success();
}

std::optional<std::vector<std::uint8_t>> RecordStore::load(std::string_view key) const {
    auto found = records_.find(key);
    if (found == records_.end()) {
        return std::nullopt;
    }
    return found->second;
}

std::vector<std::string> RecordStore::keys() const {
    std::vector<std::string> names;
    for (const auto& [key, value] : records_) {
        names.push_back(key);
    }
    return names;
}

StoreStats RecordStore::stats() const {
    StoreStats stats;
    stats.pages = pages_;
    stats.active_page = active_;
    stats.sequence = sequence_;
    stats.used_bytes = active_ ? write_offset_ : 0;
    stats.torn_tail = torn_tail_;
    stats.compactions = compactions_;
    stats.records = static_cast<std::uint32_t>(records_.size());
    return stats;
}

std::vector<std::uint8_t> RecordStore::encode(std::string_view key,
                                              std::span<const std::uint8_t> value,
                                              bool tombstone) const {
    const auto key_size = static_cast<std::uint32_t>(key.size());
    const auto value_size = static_cast<std::uint32_t>(value.size());
    std::vector<std::uint8_t> record(round_up(kRecordHeaderSize + key_size + value_size),
                                     flash_->geometry().erased_value);
    record[0] = kRecordMagic;
    record[1] = tombstone ? kTombstone : 0;
    record[2] = static_cast<std::uint8_t>(key_size);
    record[3] = 0;
    store32(record.data() + 4, value_size);
    std::copy(key.begin(), key.end(), record.begin() + kRecordHeaderSize);
    std::copy(value.begin(), value.end(), record.begin() + kRecordHeaderSize + key_size);
    std::uint32_t crc = crc32(std::span(record).first(8));
    crc = crc32(std::span(record).subspan(kRecordHeaderSize, key_size + value_size), crc);
    store32(record.data() + 8, crc);
    return record;
}

Status
RecordStore::compact(const std::map<std::string, std::vector<std::uint8_t>, std::less<>>& records) {
    std::uint32_t needed = header_size();
    for (const auto& [key, value] : records) {
        needed += round_up(kRecordHeaderSize + static_cast<std::uint32_t>(key.size()) +
                           static_cast<std::uint32_t>(value.size()));
    }
    if (needed > page_size_) {
        return fail("store full: the live records need " + std::to_string(needed) +
                    " bytes, a page holds " + std::to_string(page_size_));
    }
    const std::uint32_t first = active_ ? (*active_ + 1) % pages_ : 0;
    for (std::uint32_t attempt = 0; attempt < pages_; ++attempt) {
        const std::uint32_t target = (first + attempt) % pages_;
        if (active_ && target == *active_) {
            continue;
        }
        const std::uint32_t base = partition_.offset + target * page_size_;
        FlashStatus status = flash_->erase(base, page_size_);
        if (status == FlashStatus::worn_out || status == FlashStatus::erase_failed) {
            continue; // wear: try the next page of the ring
        }
        if (status != FlashStatus::ok) {
            return flash_error(status, "erasing a page for compaction");
        }
        std::uint32_t offset = header_size();
        for (const auto& [key, value] : records) {
            const auto record = encode(key, value, false);
            if (status = flash_->write(base + offset, record); status != FlashStatus::ok) {
                return flash_error(status, "copying records during compaction");
            }
            offset += static_cast<std::uint32_t>(record.size());
        }
        std::vector<std::uint8_t> header(header_size(), flash_->geometry().erased_value);
        store32(header.data(), kPageMagic);
        store32(header.data() + 4, sequence_ + 1);
        store32(header.data() + 8, crc32(std::span(header).first(8)));
        if (status = flash_->write(base, header); status != FlashStatus::ok) {
            return flash_error(status, "committing a compacted page");
        }
        active_ = target;
        sequence_ += 1;
        write_offset_ = offset;
        torn_tail_ = false;
        records_ = records;
        ++compactions_;
        return success();
    }
    return fail("store: no page of '" + partition_.name + "' can be erased any more (worn out)",
                FlashStatus::worn_out);
}

Status RecordStore::append(std::string_view key, std::span<const std::uint8_t> value,
                           bool tombstone) {
    if (key.empty() || key.size() > kMaxKeySize) {
        return fail("store key '" + std::string(key.substr(0, 80)) + "' must have 1 to " +
                    std::to_string(kMaxKeySize) + " bytes");
    }
    if (value.size() > kMaxValueSize) {
        return fail("store value for '" + std::string(key) + "' has " +
                    std::to_string(value.size()) + " bytes, at most " +
                    std::to_string(kMaxValueSize) + " are allowed");
    }
    const auto record = encode(key, value, tombstone);
    if (!active_ || torn_tail_ || write_offset_ + record.size() > page_size_) {
        auto next = records_;
        if (tombstone) {
            next.erase(std::string(key));
        } else {
            next[std::string(key)] = std::vector<std::uint8_t>(value.begin(), value.end());
        }
        return compact(next);
    }
    const std::uint32_t address = partition_.offset + *active_ * page_size_ + write_offset_;
    // The log's end was found by an erased record header; the rest of the space must be erased
    // too (it is unless something else wrote there), else compact rather than write over it.
    std::vector<std::uint8_t> space(record.size());
    if (FlashStatus status = flash_->read(address, space); status != FlashStatus::ok) {
        return flash_error(status, "reading the free space");
    }
    const std::uint8_t erased = flash_->geometry().erased_value;
    if (!std::all_of(space.begin(), space.end(),
                     [erased](std::uint8_t b) { return b == erased; })) {
        torn_tail_ = true;
        return append(key, value, tombstone);
    }
    if (FlashStatus status = flash_->write(address, record); status != FlashStatus::ok) {
        torn_tail_ = true; // whatever reached the flash, the next save compacts past it
        return flash_error(status, "writing a record");
    }
    write_offset_ += static_cast<std::uint32_t>(record.size());
    if (tombstone) {
        records_.erase(std::string(key));
    } else {
        records_[std::string(key)] = std::vector<std::uint8_t>(value.begin(), value.end());
    }
    return success();
}

Status RecordStore::save(std::string_view key, std::span<const std::uint8_t> value) {
    return append(key, value, false);
}

Status RecordStore::remove(std::string_view key) {
    if (records_.find(key) == records_.end() && !key.empty() && key.size() <= kMaxKeySize) {
        return success();
    }
    return append(key, {}, true);
}

} // namespace fota::flash
