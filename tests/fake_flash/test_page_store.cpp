// The shared page store and the NorFlash pages over it: sharing, copy on write, release, and a
// differential test of random operation sequences against a plain byte-vector NOR model.
#include "fota/flash/nor_flash.hpp"
#include "fota/flash/page_store.hpp"
#include "fota/flash/rng.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <vector>

using namespace fota::flash;

namespace {

Geometry small_geometry(std::uint32_t write_unit = 4, std::uint8_t erased = 0xFF) {
    Geometry geometry;
    geometry.size = 32 * 1024;
    geometry.page_size = 4096;
    geometry.write_unit = write_unit;
    geometry.erased_value = erased;
    return geometry;
}

std::unique_ptr<NorFlash> ram(const std::shared_ptr<PageStore>& store,
                              const Geometry& geometry = small_geometry(),
                              WriteRule rule = WriteRule::strict) {
    auto flash = NorFlash::create_ram(geometry, rule, store);
    REQUIRE(flash);
    return std::move(flash.value());
}

std::vector<std::uint8_t> pattern(std::size_t size, std::uint8_t seed) {
    std::vector<std::uint8_t> bytes(size);
    for (std::size_t i = 0; i < size; ++i) {
        bytes[i] = static_cast<std::uint8_t>(seed + i * 37 + (i >> 8) * 11); // pages differ
    }
    return bytes;
}

// Writes `data` in 512-byte pieces, as the device's download does.
void write_in_pieces(NorFlash& flash, std::uint32_t address,
                     const std::vector<std::uint8_t>& data) {
    for (std::size_t done = 0; done < data.size(); done += 512) {
        const auto piece =
            std::span(data).subspan(done, std::min<std::size_t>(512, data.size() - done));
        REQUIRE(flash.write(address + static_cast<std::uint32_t>(done), piece) == FlashStatus::ok);
    }
}

} // namespace

TEST_CASE("the store keeps one page per distinct content and counts references", "[page_store]") {
    PageStore store;
    const auto a = pattern(4096, 1);
    const auto b = pattern(4096, 2);
    const PageStore::Page* first = store.intern(a);
    const PageStore::Page* again = store.intern(a);
    const PageStore::Page* other = store.intern(b);
    CHECK(first == again);
    CHECK(first != other);
    CHECK(std::equal(a.begin(), a.end(), first->bytes().begin(), first->bytes().end()));
    CHECK(store.stats().pages == 2);
    CHECK(store.stats().bytes == 8192);
    CHECK(store.stats().references == 3);
    CHECK(store.stats().interns == 3);
    CHECK(store.stats().hits == 1);
    store.release(first);
    CHECK(store.stats().pages == 2); // one reference left
    store.release(again);
    CHECK(store.stats().pages == 1);
    CHECK(store.stats().bytes == 4096);
    store.release(other);
    store.release(nullptr);
    CHECK(store.stats().pages == 0);
    CHECK(store.stats().references == 0);
    // Same hash input length, different bytes, and pages of different sizes never match.
    const PageStore::Page* small = store.intern(std::span(a).first(256));
    const PageStore::Page* large = store.intern(a);
    CHECK(small != large);
    CHECK(small->bytes().size() == 256);
    store.release(small);
    store.release(large);
}

TEST_CASE("the hash sees every byte and the length", "[page_store]") {
    auto bytes = pattern(4096, 3);
    const std::uint64_t base = PageStore::hash(bytes);
    for (const std::size_t at : {0u, 7u, 8u, 31u, 32u, 4095u}) {
        auto changed = bytes;
        changed[at] ^= 0x10;
        CHECK(PageStore::hash(changed) != base);
    }
    CHECK(PageStore::hash(std::span(bytes).first(4095)) != base);
    // Past the last 32-byte block: whole words, then 0 to 7 bytes.
    auto short_bytes = pattern(45, 4);
    const std::uint64_t short_base = PageStore::hash(short_bytes);
    for (const std::size_t at : {33u, 39u, 40u, 44u}) {
        auto changed = short_bytes;
        changed[at] ^= 0x01;
        CHECK(PageStore::hash(changed) != short_base);
    }
    const std::vector<std::uint8_t> zeros(64, 0);
    CHECK(PageStore::hash(std::span(zeros).first(63)) != PageStore::hash(zeros));
}

TEST_CASE("an erased page costs nothing and identical pages are shared between flashes",
          "[page_store]") {
    auto store = std::make_shared<PageStore>();
    auto one = ram(store);
    auto two = ram(store);
    CHECK(one->page_use().erased == 8);
    CHECK(store->stats().pages == 0);
    const auto image = pattern(3 * 4096, 5);
    write_in_pieces(*one, 4096, image);
    write_in_pieces(*two, 4096, image);
    CHECK(one->page_use().shared == 3);
    CHECK(one->page_use().own == 0);
    CHECK(two->page_use().shared == 3);
    CHECK(store->stats().pages == 3);
    CHECK(store->stats().references == 6);
    std::vector<std::uint8_t> out(image.size());
    REQUIRE(two->read(4096, out) == FlashStatus::ok);
    CHECK(out == image);
    // Writing erased bytes over an erased page keeps it erased (permissive allows any write).
    auto permissive = ram(store, small_geometry(), WriteRule::permissive);
    REQUIRE(permissive->write(0, std::vector<std::uint8_t>(4096, 0xFF)) == FlashStatus::ok);
    CHECK(permissive->page_use().erased == 8);
}

TEST_CASE("a partly written page is the flash's own until it is complete", "[page_store]") {
    auto store = std::make_shared<PageStore>();
    auto one = ram(store);
    auto two = ram(store);
    const auto page = pattern(4096, 7);
    REQUIRE(one->write(0, page) == FlashStatus::ok);
    REQUIRE(two->write(0, std::span(page).first(2048)) == FlashStatus::ok);
    CHECK(two->page_use().own == 1);
    CHECK(store->stats().pages == 1);
    REQUIRE(two->write(2048, std::span(page).subspan(2048)) == FlashStatus::ok);
    CHECK(two->page_use().own == 0);
    CHECK(two->page_use().shared == 1);
    CHECK(store->stats().pages == 1); // became identical to the other flash's page
    CHECK(store->stats().references == 2);
    // A page written only in its middle is shared by share_own_pages() (as at every boot).
    REQUIRE(two->write(8192 + 100 * 4, std::span(page).first(64)) == FlashStatus::ok);
    CHECK(two->page_use().own == 1);
    two->share_own_pages();
    CHECK(two->page_use().own == 0);
    CHECK(two->page_use().shared == 2);
    CHECK(two->snapshot()[8192 + 400] == page[0]);
}

TEST_CASE("a write to a shared page copies it and leaves the other flashes alone", "[page_store]") {
    auto store = std::make_shared<PageStore>();
    auto one = ram(store, small_geometry(), WriteRule::permissive);
    auto two = ram(store, small_geometry(), WriteRule::permissive);
    const auto page = pattern(4096, 9);
    REQUIRE(one->write(0, page) == FlashStatus::ok);
    REQUIRE(two->write(0, page) == FlashStatus::ok);
    const std::vector<std::uint8_t> zeros(8, 0);
    REQUIRE(one->write(16, zeros) == FlashStatus::ok); // programs bits: a change, mid-page
    CHECK(one->page_use().own == 1);
    CHECK(store->stats().references == 1); // one's copy let go of the shared page
    const auto two_cells = two->snapshot();
    CHECK(std::equal(page.begin(), page.end(), two_cells.begin()));
    const auto one_cells = one->snapshot();
    CHECK(one_cells[16] == 0);
    CHECK(one_cells[15] == page[15]);
    // In strict mode a rejected write leaves the shared page shared.
    auto strict = ram(store);
    REQUIRE(strict->write(0, page) == FlashStatus::ok);
    CHECK(strict->write(16, zeros) == FlashStatus::not_erased);
    CHECK(strict->page_use().shared == 1);
}

TEST_CASE("an erase releases the page and destroying a flash releases all of them",
          "[page_store]") {
    auto store = std::make_shared<PageStore>();
    auto one = ram(store);
    {
        auto two = ram(store);
        write_in_pieces(*one, 0, pattern(2 * 4096, 11));
        write_in_pieces(*two, 0, pattern(2 * 4096, 11));
        CHECK(store->stats().references == 4);
        REQUIRE(one->erase(0, 4096) == FlashStatus::ok);
        CHECK(one->page_use().erased == 7);
        CHECK(store->stats().references == 3);
        CHECK(store->stats().pages == 2);
        CHECK(one->counters().erases_per_page[0] == 1);
    }
    CHECK(store->stats().references == 1);
    CHECK(store->stats().pages == 1);
    REQUIRE(one->erase(4096, 4096) == FlashStatus::ok);
    CHECK(store->stats().pages == 0);
    // restore() interns the snapshot's pages and drops its erased ones.
    auto snapshot = std::vector<std::uint8_t>(32 * 1024, 0xFF);
    std::fill_n(snapshot.begin() + 8192, 4096, 0x42);
    REQUIRE(one->restore(snapshot));
    CHECK(one->page_use().shared == 1);
    CHECK(one->snapshot() == snapshot);
}

namespace {

// The NOR model as it was before pages: one vector of cells, byte by byte. Same rules, same
// fault numbering and the same torn-operation randomness as NorFlash.
class ReferenceFlash {
public:
    ReferenceFlash(const Geometry& geometry, WriteRule rule)
        : geometry_(geometry), rule_(rule), cells_(geometry.size, geometry.erased_value) {}

    void arm_torn(std::uint64_t at_operation, std::uint64_t seed) {
        cut_at_ = at_operation;
        seed_ = seed;
        since_arm_ = 0;
    }
    void power_on() { powered_ = true; }

    FlashStatus write(std::uint32_t address, std::span<const std::uint8_t> data) {
        if (!powered_) {
            return FlashStatus::power_lost;
        }
        if (std::uint64_t{address} + data.size() > geometry_.size) {
            return FlashStatus::out_of_range;
        }
        if (rule_ == WriteRule::strict) {
            if (address % geometry_.write_unit != 0 || data.size() % geometry_.write_unit != 0) {
                return FlashStatus::misaligned;
            }
            for (std::size_t i = 0; i < data.size(); ++i) {
                if (cells_[address + i] != geometry_.erased_value) {
                    return FlashStatus::not_erased;
                }
            }
        }
        if (++since_arm_ == cut_at_) {
            cut_at_ = 0;
            torn_program(address, data);
            powered_ = false;
            return FlashStatus::power_lost;
        }
        program(address, data);
        return FlashStatus::ok;
    }

    FlashStatus erase(std::uint32_t address, std::uint32_t length) {
        if (!powered_) {
            return FlashStatus::power_lost;
        }
        if (std::uint64_t{address} + length > geometry_.size) {
            return FlashStatus::out_of_range;
        }
        if (address % geometry_.page_size != 0 || length % geometry_.page_size != 0) {
            return FlashStatus::misaligned;
        }
        for (std::uint32_t at = address; at < address + length; at += geometry_.page_size) {
            if (++since_arm_ == cut_at_) {
                cut_at_ = 0;
                torn_erase(at);
                powered_ = false;
                return FlashStatus::power_lost;
            }
            std::fill_n(cells_.begin() + at, geometry_.page_size, geometry_.erased_value);
        }
        return FlashStatus::ok;
    }

    const std::vector<std::uint8_t>& cells() const { return cells_; }

private:
    std::uint8_t program_byte(std::uint8_t cell, std::uint8_t data) const {
        return geometry_.erased_value == 0xFF ? static_cast<std::uint8_t>(cell & data)
                                              : static_cast<std::uint8_t>(cell | data);
    }

    void program(std::uint32_t address, std::span<const std::uint8_t> data) {
        for (std::size_t i = 0; i < data.size(); ++i) {
            cells_[address + i] = program_byte(cells_[address + i], data[i]);
        }
    }

    void torn_program(std::uint32_t address, std::span<const std::uint8_t> data) {
        SplitMix64 rng(seed_ ^ (since_arm_ * 0x9e3779b97f4a7c15ULL));
        const std::size_t unit = geometry_.write_unit;
        const std::size_t done =
            std::min(data.size(), rng.below((data.size() + unit - 1) / unit) * unit);
        program(address, data.first(done));
        for (std::size_t i = done; i < std::min(data.size(), done + unit); ++i) {
            std::uint8_t& cell = cells_[address + i];
            const auto mask = static_cast<std::uint8_t>(rng.next());
            if (geometry_.erased_value == 0xFF) {
                cell = static_cast<std::uint8_t>(cell & ~(cell & ~data[i] & mask));
            } else {
                cell = static_cast<std::uint8_t>(cell | (~cell & data[i] & mask));
            }
        }
    }

    void torn_erase(std::uint32_t start) {
        SplitMix64 rng(seed_ ^ (since_arm_ * 0x9e3779b97f4a7c15ULL));
        const std::uint8_t erased = geometry_.erased_value;
        const auto page_begin = cells_.begin() + start;
        const auto page_end = page_begin + geometry_.page_size;
        const auto first = std::find_if(page_begin, page_end, [&](auto b) { return b != erased; });
        if (first == page_end) {
            return;
        }
        bool changed = false;
        for (auto it = page_begin; it != page_end; ++it) {
            const std::uint8_t before = *it;
            const auto mask = static_cast<std::uint8_t>(rng.next());
            *it = erased == 0xFF ? static_cast<std::uint8_t>(*it | mask)
                                 : static_cast<std::uint8_t>(*it & mask);
            changed = changed || *it != before;
        }
        if (std::all_of(page_begin, page_end, [&](auto b) { return b == erased; })) {
            *first = static_cast<std::uint8_t>(erased ^ 0x01);
        }
        if (!changed) {
            *first = erased;
        }
    }

    Geometry geometry_;
    WriteRule rule_;
    std::vector<std::uint8_t> cells_;
    std::uint64_t since_arm_ = 0;
    std::uint64_t cut_at_ = 0;
    std::uint64_t seed_ = 0;
    bool powered_ = true;
};

// Data a device would write: mostly a few images' bytes (so pages match across flashes), some
// noise, some erased bytes.
std::vector<std::uint8_t> device_like_data(SplitMix64& rng, std::uint32_t address,
                                           std::size_t length) {
    std::vector<std::uint8_t> data(length);
    const std::uint64_t kind = rng.below(4);
    for (std::size_t i = 0; i < length; ++i) {
        if (kind == 0) {
            data[i] = static_cast<std::uint8_t>(rng.next());
        } else if (kind == 1) {
            data[i] = 0xFF;
        } else {
            data[i] = static_cast<std::uint8_t>((address + i) * 37 + kind);
        }
    }
    return data;
}

} // namespace

TEST_CASE("random operations give the same bytes and statuses as a plain NOR model",
          "[page_store][differential]") {
    struct Setup {
        std::uint32_t write_unit;
        std::uint8_t erased;
        WriteRule rule;
    };
    const Setup setups[] = {{4, 0xFF, WriteRule::strict},
                            {4, 0xFF, WriteRule::permissive},
                            {16, 0x00, WriteRule::strict},
                            {1, 0x00, WriteRule::permissive}};
    for (const Setup& setup : setups) {
        for (std::uint64_t seed = 1; seed <= 12; ++seed) {
            CAPTURE(setup.write_unit, setup.erased, setup.rule == WriteRule::strict, seed);
            const Geometry geometry = small_geometry(setup.write_unit, setup.erased);
            auto store = std::make_shared<PageStore>();
            std::vector<std::unique_ptr<NorFlash>> flashes;
            std::vector<ReferenceFlash> references;
            for (int i = 0; i < 3; ++i) {
                flashes.push_back(ram(store, geometry, setup.rule));
                references.emplace_back(geometry, setup.rule);
            }
            SplitMix64 rng(seed);
            for (int step = 0; step < 1500; ++step) {
                CAPTURE(step);
                const std::size_t which = rng.below(flashes.size());
                NorFlash& flash = *flashes[which];
                ReferenceFlash& reference = references[which];
                const std::uint64_t op = rng.below(100);
                if (op < 60) {
                    // Misaligned now and then, some past the end, some whole pages.
                    const std::uint32_t unit = rng.below(4) == 0 ? 1 : setup.write_unit;
                    auto address =
                        static_cast<std::uint32_t>(rng.below(geometry.size / unit) * unit);
                    std::size_t length = rng.below(3) == 0 ? unit * (1 + rng.below(8)) : 512;
                    if (rng.below(5) == 0) {
                        address = address / geometry.page_size * geometry.page_size;
                        length = geometry.page_size;
                    }
                    const auto data = device_like_data(rng, address, length);
                    CHECK(flash.write(address, data) == reference.write(address, data));
                } else if (op < 75) {
                    const auto page = static_cast<std::uint32_t>(rng.below(geometry.page_count()));
                    const auto pages = static_cast<std::uint32_t>(1 + rng.below(2));
                    const std::uint32_t misalign = rng.below(10) == 0 ? 4 : 0;
                    const std::uint32_t address = page * geometry.page_size + misalign;
                    CHECK(flash.erase(address, pages * geometry.page_size) ==
                          reference.erase(address, pages * geometry.page_size));
                } else if (op < 80) {
                    const std::uint64_t at = 1 + rng.below(4);
                    const std::uint64_t cut_seed = rng.next();
                    flash.arm(FaultPlan::cut_torn(at, cut_seed));
                    reference.arm_torn(at, cut_seed);
                } else if (op < 85) {
                    flash.power_on();
                    reference.power_on();
                } else if (op < 90) {
                    flash.share_own_pages();
                } else {
                    const auto address = static_cast<std::uint32_t>(rng.below(geometry.size - 700));
                    std::vector<std::uint8_t> out(1 + rng.below(700));
                    REQUIRE(flash.peek(address, out) == FlashStatus::ok);
                    CHECK(std::equal(out.begin(), out.end(), reference.cells().begin() + address));
                }
            }
            std::uint64_t shared = 0;
            for (std::size_t i = 0; i < flashes.size(); ++i) {
                CHECK(flashes[i]->snapshot() == references[i].cells());
                shared += flashes[i]->page_use().shared;
            }
            CHECK(store->stats().references == shared);
            flashes.clear();
            CHECK(store->stats().pages == 0);
        }
    }
}
