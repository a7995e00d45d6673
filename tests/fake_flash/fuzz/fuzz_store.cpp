// libFuzzer: mounting the record store over arbitrary partition contents, then saving. Mount
// never crashes; after a successful save the value reads back, also after a new mount.
// The first input byte is a mode: bit 0 gives page 0 a valid page header (sequence from the
// second byte) and bit 1 fixes the CRC of every record-shaped run after it, so that the fuzzer
// reaches record parsing instead of stopping at CRC checks it cannot guess.
#include "fota/flash/record_store.hpp"

#include <algorithm>
#include <cstdlib>

namespace {

void store32(std::uint8_t* at, std::uint32_t value) {
    for (int i = 0; i < 4; ++i) {
        at[i] = static_cast<std::uint8_t>(value >> (8 * i));
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace fota::flash;
    if (size < 2) {
        return 0;
    }
    const std::uint8_t mode = data[0];
    Geometry geometry;
    geometry.size = 0x4000;
    auto created = NorFlash::create_ram(geometry);
    NorFlash& flash = *created.value();
    std::vector<std::uint8_t> cells(geometry.size, 0xFF);
    const std::size_t header = (mode & 1) ? 12 : 0;
    std::copy_n(data + 2, std::min<std::size_t>(size - 2, cells.size() - header),
                cells.begin() + static_cast<std::ptrdiff_t>(header));
    if (mode & 1) {
        store32(cells.data(), 0x31535346);
        store32(cells.data() + 4, data[1]);
        store32(cells.data() + 8, crc32(std::span(cells).first(8)));
    }
    if ((mode & 3) == 3) {
        std::size_t at = 12;
        while (at + 12 <= 4096) {
            std::uint8_t* record = cells.data() + at;
            const std::size_t key = record[2];
            const std::size_t value = std::min<std::size_t>(record[4] | (record[5] & 3) << 8, 1024);
            if (at + 12 + key + value > 4096) {
                break;
            }
            record[6] = record[7] = 0;
            record[5] &= 3;
            std::uint32_t crc = crc32(std::span<const std::uint8_t>(record, 8));
            crc = crc32(std::span<const std::uint8_t>(record + 12, key + value), crc);
            store32(record + 8, crc);
            at += (12 + key + value + 3) / 4 * 4;
        }
    }
    if (!flash.restore(cells)) {
        std::abort();
    }
    const Partition partition{"settings_storage", 0, 0x4000};
    auto store = RecordStore::mount(flash, partition);
    if (!store) {
        std::abort(); // reads cannot fail here, and garbage is not an error
    }
    for (const auto& key : store->keys()) {
        if (!store->load(key)) {
            std::abort();
        }
    }
    const std::vector<std::uint8_t> value = {1, 2, 3, 4, 5};
    auto saved = store->save("fuzz-key", value);
    if (saved) {
        if (store->load("fuzz-key") != value) {
            std::abort();
        }
        auto again = RecordStore::mount(flash, partition);
        if (!again || again->load("fuzz-key") != value || again->keys() != store->keys()) {
            std::abort();
        }
    } else if (saved.error().message.find("store full") == std::string::npos) {
        std::abort();
    }
    if (flash.counters().violations != 0) {
        std::abort(); // the store never breaks a strict flash rule, whatever it found
    }
    return 0;
}
