#include "fota/flash/record_store.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace fota::flash;

namespace {

struct Fixture {
    std::unique_ptr<NorFlash> flash;
    Partition partition{"settings_storage", 0x4000, 0x4000};

    explicit Fixture(std::uint32_t write_unit = 4) {
        Geometry geometry;
        geometry.size = 0x8000;
        geometry.write_unit = write_unit;
        flash = std::move(NorFlash::create_ram(geometry).value());
    }

    RecordStore mount() {
        auto store = RecordStore::mount(*flash, partition);
        REQUIRE(store);
        return std::move(store.value());
    }
};

std::vector<std::uint8_t> bytes(const std::string& text) {
    return std::vector<std::uint8_t>(text.begin(), text.end());
}

} // namespace

TEST_CASE("crc32 is the IEEE CRC-32", "[store]") {
    CHECK(crc32(bytes("123456789")) == 0xCBF43926u);
    CHECK(crc32({}) == 0);
}

TEST_CASE("save, load, remove and remount", "[store]") {
    Fixture fixture;
    {
        RecordStore store = fixture.mount();
        CHECK_FALSE(store.load("job"));
        CHECK_FALSE(store.stats().active_page);
        REQUIRE(store.save("job", bytes("job-1")));
        REQUIRE(store.save("offset", bytes("4096")));
        REQUIRE(store.save("job", bytes("job-2")));
        REQUIRE(store.save("empty", {}));
        REQUIRE(store.remove("offset"));
        REQUIRE(store.remove("never-there"));
        CHECK(store.load("job") == bytes("job-2"));
        CHECK(store.load("empty") == std::vector<std::uint8_t>{});
        CHECK(store.keys() == std::vector<std::string>{"empty", "job"});
    }
    RecordStore again = fixture.mount();
    CHECK(again.load("job") == bytes("job-2"));
    CHECK_FALSE(again.load("offset"));
    CHECK(again.load("empty") == std::vector<std::uint8_t>{});
    CHECK(again.stats().records == 2);
    CHECK(fixture.flash->counters().violations == 0);
}

TEST_CASE("invalid keys and values are refused without writing", "[store]") {
    Fixture fixture;
    RecordStore store = fixture.mount();
    CHECK_THAT(store.save("", bytes("x")).error().message, Catch::Contains("1 to 64"));
    CHECK_FALSE(store.save(std::string(65, 'k'), bytes("x")));
    CHECK_THAT(
        store.save("k", std::vector<std::uint8_t>(RecordStore::kMaxValueSize + 1)).error().message,
        Catch::Contains("at most " + std::to_string(RecordStore::kMaxValueSize)));
    CHECK(fixture.flash->counters().operations == 0);
}

TEST_CASE("the core's state record with a presigned URL fits and survives a remount", "[store]") {
    // The core persists its state (job id, URL up to 2 KiB, offsets) as one record of 2.3 KiB:
    // an S3 presigned URL with a session token is about 1.5 KiB, which a 1 KiB limit refused.
    Fixture fixture;
    RecordStore store = fixture.mount();
    std::vector<std::uint8_t> state(2400);
    for (std::size_t i = 0; i < state.size(); ++i) {
        state[i] = static_cast<std::uint8_t>(i * 7 + 1);
    }
    REQUIRE(store.save("fota/state", state));
    REQUIRE(store.save("fota/state", state));
    RecordStore again = fixture.mount();
    REQUIRE(again.load("fota/state") == state);
}

TEST_CASE("compaction moves round robin and spreads erases evenly", "[store]") {
    Fixture fixture;
    RecordStore store = fixture.mount();
    for (int i = 0; i < 2000; ++i) {
        const std::string key = "key" + std::to_string(i % 5);
        REQUIRE(store.save(key, bytes(std::string(40 + i % 60, static_cast<char>('a' + i % 26)))));
    }
    const auto& erases = fixture.flash->counters().erases_per_page;
    const std::uint32_t first = 4, last = 7; // the partition's pages
    std::uint32_t low = UINT32_MAX, high = 0;
    for (std::uint32_t page = first; page <= last; ++page) {
        low = std::min(low, erases[page]);
        high = std::max(high, erases[page]);
    }
    CHECK(low >= 10);
    CHECK(high - low <= 1);
    // Every compaction erases exactly one page, and nothing else erases.
    CHECK(store.stats().compactions == erases[4] + erases[5] + erases[6] + erases[7]);
    RecordStore again = fixture.mount();
    for (int k = 0; k < 5; ++k) {
        const int i = 1995 + k;
        CHECK(again.load("key" + std::to_string(i % 5)) ==
              bytes(std::string(40 + i % 60, static_cast<char>('a' + i % 26))));
    }
}

TEST_CASE("a torn record is detected and the previous value is used", "[store]") {
    for (std::uint32_t unit : {4u, 16u}) {
        for (std::uint64_t seed = 0; seed < 16; ++seed) {
            Fixture fixture(unit);
            {
                RecordStore store = fixture.mount();
                REQUIRE(store.save("phase", bytes("downloading")));
                fixture.flash->arm(FaultPlan::cut_torn(1, seed));
                auto saved = store.save("phase", bytes("apply-firmware-now"));
                REQUIRE_FALSE(saved);
                CHECK(saved.error().flash == FlashStatus::power_lost);
            }
            fixture.flash->disarm();
            fixture.flash->power_on();
            RecordStore store = fixture.mount();
            const auto value = store.load("phase");
            // Whole or not at all: a complete torn write is indistinguishable from a done one.
            const bool old_value = value == bytes("downloading");
            const bool new_value = value == bytes("apply-firmware-now");
            CHECK((old_value || new_value));
            if (old_value) {
                REQUIRE(store.save("phase", bytes("retry")));
                CHECK(store.load("phase") == bytes("retry"));
                CHECK(fixture.mount().load("phase") == bytes("retry"));
            }
            CHECK(fixture.flash->counters().violations == 0);
        }
    }
}

TEST_CASE("a worn-out page is skipped by compaction", "[store]") {
    Fixture fixture;
    RecordStore store = fixture.mount();
    FaultPlan plan;
    plan.erase_cycle_limit = 3;
    fixture.flash->arm(plan);
    for (int i = 0; i < 600; ++i) {
        auto saved = store.save("k" + std::to_string(i % 3), bytes(std::string(200, 'x')));
        if (!saved) {
            CHECK(saved.error().flash == FlashStatus::worn_out);
            CHECK_THAT(saved.error().message, Catch::Contains("worn out"));
            CHECK(i > 100);
            RecordStore again = fixture.mount();
            CHECK(again.load("k0") == bytes(std::string(200, 'x')));
            return;
        }
    }
    FAIL("the store never wore out");
}

TEST_CASE("the store refuses a too-small partition and reports when full", "[store]") {
    Fixture fixture;
    CHECK_FALSE(RecordStore::mount(*fixture.flash, Partition{"s", 0x4000, 0x1000}));
    RecordStore store = fixture.mount();
    int saved = 0;
    for (int i = 0; i < 10; ++i) {
        auto result = store.save("key" + std::to_string(i), std::vector<std::uint8_t>(1000, 1));
        if (!result) {
            CHECK_THAT(result.error().message, Catch::Contains("store full"));
            break;
        }
        ++saved;
    }
    CHECK(saved == 4); // 4 records of 1016 bytes + the 12-byte page header fill a 4 KiB page
    CHECK(fixture.mount().keys().size() == 4);
}
