#include "fota/flash/nor_flash.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <unistd.h>
#include <vector>

using namespace fota::flash;

namespace {

Geometry small_geometry() {
    Geometry geometry;
    geometry.size = 16 * 1024;
    geometry.page_size = 4096;
    geometry.write_unit = 4;
    return geometry;
}

std::unique_ptr<NorFlash> ram(const Geometry& geometry, WriteRule rule = WriteRule::strict) {
    auto flash = NorFlash::create_ram(geometry, rule);
    REQUIRE(flash);
    return std::move(flash.value());
}

std::vector<std::uint8_t> pattern(std::size_t size, std::uint8_t seed) {
    std::vector<std::uint8_t> bytes(size);
    for (std::size_t i = 0; i < size; ++i) {
        bytes[i] = static_cast<std::uint8_t>(seed + i * 37);
    }
    return bytes;
}

std::filesystem::path temp_path(const char* stem) {
    return std::filesystem::temp_directory_path() /
           (std::string(stem) + "-" + std::to_string(::getpid()) + ".bin");
}

} // namespace

TEST_CASE("geometry defaults to the nRF9160 and round-trips as text", "[nor]") {
    const Geometry geometry = Geometry::nrf9160();
    CHECK(geometry.size == 1024 * 1024);
    CHECK(geometry.page_size == 4096);
    CHECK(geometry.write_unit == 4);
    CHECK(geometry.erased_value == 0xFF);
    CHECK(geometry.page_count() == 256);
    CHECK(geometry.to_string() == "size=1MiB,page=4KiB,write=4,erased=0xff");
    auto parsed = Geometry::parse(geometry.to_string());
    REQUIRE(parsed);
    CHECK(parsed.value() == geometry);
    auto custom = Geometry::parse("size=128KiB,page=1KiB,write=16,erased=0x00");
    REQUIRE(custom);
    CHECK(custom->write_unit == 16);
    CHECK(custom->erased_value == 0x00);
    CHECK(Geometry::parse(custom->to_string()).value() == custom.value());
}

TEST_CASE("invalid geometries are refused with a reason", "[nor]") {
    CHECK_THAT(Geometry::parse("write=3").error().message, Catch::Contains("write unit"));
    CHECK_THAT(Geometry::parse("page=3000").error().message, Catch::Contains("power of two"));
    CHECK_THAT(Geometry::parse("size=5000").error().message, Catch::Contains("multiple"));
    CHECK_THAT(Geometry::parse("erased=0x12").error().message, Catch::Contains("erased"));
    CHECK_THAT(Geometry::parse("colour=red").error().message, Catch::Contains("unknown"));
    CHECK_THAT(Geometry::parse("size").error().message, Catch::Contains("key=value"));
    CHECK_FALSE(NorFlash::create_ram(Geometry{0, 4096, 4, 0xFF}));
}

TEST_CASE("a new flash is erased and reads back what was written", "[nor]") {
    auto flash = ram(small_geometry());
    std::vector<std::uint8_t> out(64);
    REQUIRE(flash->read(100, out) == FlashStatus::ok);
    CHECK(std::all_of(out.begin(), out.end(), [](auto b) { return b == 0xFF; }));
    const auto data = pattern(64, 1);
    REQUIRE(flash->write(128, data) == FlashStatus::ok);
    REQUIRE(flash->read(128, out) == FlashStatus::ok);
    CHECK(out == data);
    CHECK(flash->counters().write_ops == 1);
    CHECK(flash->counters().bytes_written == 64);
    CHECK(flash->counters().operations == 1);
    CHECK(flash->counters().violations == 0);
}

TEST_CASE("strict mode refuses misaligned and over-unerased writes without changing flash",
          "[nor]") {
    auto flash = ram(small_geometry());
    const auto data = pattern(8, 3);
    CHECK(flash->write(2, data) == FlashStatus::misaligned);
    CHECK(flash->write(0, std::span(data).first(6)) == FlashStatus::misaligned);
    REQUIRE(flash->write(0, data) == FlashStatus::ok);
    CHECK(flash->write(4, data) == FlashStatus::not_erased);
    CHECK_THAT(flash->last_violation(), Catch::Contains("not erased"));
    CHECK(flash->write(16 * 1024 - 4, data) == FlashStatus::out_of_range);
    CHECK(flash->erase(100, 4096) == FlashStatus::misaligned);
    CHECK(flash->erase(0, 100) == FlashStatus::misaligned);
    CHECK(flash->erase(12 * 1024, 8192) == FlashStatus::out_of_range);
    CHECK(flash->counters().violations == 7);
    CHECK(flash->counters().operations == 1); // refused operations are not counted
    std::vector<std::uint8_t> out(8);
    REQUIRE(flash->read(0, out) == FlashStatus::ok);
    CHECK(out == data);
}

TEST_CASE("permissive mode combines writes into cells like real NOR", "[nor]") {
    SECTION("erased 0xFF: AND") {
        auto flash = ram(small_geometry(), WriteRule::permissive);
        const std::array<std::uint8_t, 3> first = {0xF0, 0x0F, 0xAA};
        const std::array<std::uint8_t, 3> second = {0x3C, 0xFF, 0x55};
        REQUIRE(flash->write(1, first) == FlashStatus::ok);
        REQUIRE(flash->write(1, second) == FlashStatus::ok);
        std::array<std::uint8_t, 3> out{};
        REQUIRE(flash->read(1, out) == FlashStatus::ok);
        CHECK(out == std::array<std::uint8_t, 3>{0x30, 0x0F, 0x00});
        CHECK(flash->counters().violations == 0);
    }
    SECTION("erased 0x00: OR") {
        Geometry geometry = small_geometry();
        geometry.erased_value = 0x00;
        auto flash = ram(geometry, WriteRule::permissive);
        const std::array<std::uint8_t, 2> first = {0x01, 0x80};
        const std::array<std::uint8_t, 2> second = {0x02, 0x01};
        REQUIRE(flash->write(0, first) == FlashStatus::ok);
        REQUIRE(flash->write(0, second) == FlashStatus::ok);
        std::array<std::uint8_t, 2> out{};
        REQUIRE(flash->read(0, out) == FlashStatus::ok);
        CHECK(out == std::array<std::uint8_t, 2>{0x03, 0x81});
        REQUIRE(flash->erase(0, 4096) == FlashStatus::ok);
        REQUIRE(flash->read(0, out) == FlashStatus::ok);
        CHECK(out == std::array<std::uint8_t, 2>{0x00, 0x00});
    }
}

TEST_CASE("erase counts per page and the erase-cycle limit wears a page out", "[nor]") {
    auto flash = ram(small_geometry());
    REQUIRE(flash->erase(0, 8192) == FlashStatus::ok);
    REQUIRE(flash->erase(4096, 4096) == FlashStatus::ok);
    CHECK(flash->counters().erases_per_page == std::vector<std::uint32_t>{1, 2, 0, 0});
    CHECK(flash->counters().erase_ops == 3);
    FaultPlan plan;
    plan.erase_cycle_limit = 2;
    flash->arm(plan);
    CHECK(flash->erase(0, 4096) == FlashStatus::ok);
    const auto data = pattern(4, 9);
    REQUIRE(flash->write(4096, data) == FlashStatus::ok);
    CHECK(flash->erase(4096, 4096) == FlashStatus::worn_out);
    std::array<std::uint8_t, 4> out{};
    REQUIRE(flash->read(4096, out) == FlashStatus::ok);
    CHECK(std::equal(out.begin(), out.end(), data.begin())); // a worn page keeps its contents
    CHECK(flash->erase(0, 4096) == FlashStatus::worn_out);
}

TEST_CASE("a power cut before operation N skips it and everything after", "[nor][fault]") {
    auto flash = ram(small_geometry());
    flash->arm(FaultPlan::cut_before(2));
    const auto data = pattern(8, 5);
    REQUIRE(flash->write(0, data) == FlashStatus::ok);
    CHECK(flash->write(8, data) == FlashStatus::power_lost);
    CHECK_FALSE(flash->powered());
    std::array<std::uint8_t, 8> out{};
    CHECK(flash->read(0, out) == FlashStatus::power_lost);
    CHECK(flash->erase(0, 4096) == FlashStatus::power_lost);
    CHECK(flash->counters().power_cuts == 1);
    flash->power_on();
    REQUIRE(flash->read(8, out) == FlashStatus::ok);
    CHECK(std::all_of(out.begin(), out.end(), [](auto b) { return b == 0xFF; }));
    CHECK(flash->write(8, data) == FlashStatus::ok); // the cut fired once
}

TEST_CASE("a torn write leaves a prefix and a partly programmed unit, from its seed",
          "[nor][fault]") {
    const auto data = pattern(4096, 11);
    auto run = [&](std::uint64_t seed) {
        auto flash = ram(small_geometry());
        flash->arm(FaultPlan::cut_torn(1, seed));
        CHECK(flash->write(0, data) == FlashStatus::power_lost);
        auto cells = flash->snapshot();
        cells.resize(4096);
        return cells;
    };
    int differing = 0;
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
        const auto torn = run(seed);
        CHECK(torn == run(seed)); // replayable
        std::size_t prefix = 0;
        while (prefix < torn.size() && torn[prefix] == data[prefix]) {
            ++prefix;
        }
        const std::size_t unit_start = prefix / 4 * 4;
        for (std::size_t i = 0; i < torn.size(); ++i) {
            // Programming only clears bits: every torn byte lies between erased and the data.
            CHECK((torn[i] & data[i]) == data[i]);
            if (i >= unit_start + 4) {
                CHECK(torn[i] == 0xFF);
            }
        }
        if (torn != data) {
            ++differing;
        }
    }
    CHECK(differing == 20);
    CHECK(run(1) != run(2));
}

TEST_CASE("an interrupted erase leaves the page neither erased nor intact", "[nor][fault]") {
    for (std::uint64_t seed = 0; seed < 20; ++seed) {
        auto flash = ram(small_geometry());
        const auto data = pattern(4096, 13);
        REQUIRE(flash->write(4096, data) == FlashStatus::ok);
        flash->arm(FaultPlan::cut_torn(2, seed));
        CHECK(flash->erase(0, 12288) == FlashStatus::power_lost); // page 0 erased, page 1 torn
        const auto cells = flash->snapshot();
        const std::vector<std::uint8_t> page(cells.begin() + 4096, cells.begin() + 8192);
        CHECK(page != data);
        CHECK_FALSE(std::all_of(page.begin(), page.end(), [](auto b) { return b == 0xFF; }));
        for (std::size_t i = 0; i < page.size(); ++i) {
            CHECK((page[i] | data[i]) == page[i]); // erasing only sets bits
        }
        CHECK(flash->counters().erases_per_page[2] == 0); // the cut stopped the erase there
    }
}

TEST_CASE("write and erase failures by index and by region", "[nor][fault]") {
    auto flash = ram(small_geometry());
    auto plan = FaultPlan::parse("fail-write@2;fail-erase@0x2000+0x1000");
    REQUIRE(plan);
    flash->arm(plan.value());
    const auto data = pattern(8, 17);
    CHECK(flash->write(0, data) == FlashStatus::ok);
    CHECK(flash->write(8, data) == FlashStatus::write_failed);
    CHECK(flash->write(8, data) == FlashStatus::ok);
    CHECK(flash->erase(0x2000, 0x1000) == FlashStatus::erase_failed);
    CHECK(flash->erase(0x2000, 0x1000) == FlashStatus::erase_failed); // a bad region stays bad
    CHECK(flash->erase(0x1000, 0x1000) == FlashStatus::ok);
    CHECK(flash->powered());
}

TEST_CASE("read bit flips follow their rate and seed and never change the cells", "[nor][fault]") {
    auto flash = ram(small_geometry());
    auto plan = FaultPlan::parse("flips=0.001:seed=42");
    REQUIRE(plan);
    auto read_all = [&] {
        flash->arm(plan.value());
        std::vector<std::uint8_t> out(16 * 1024);
        REQUIRE(flash->read(0, out) == FlashStatus::ok);
        return out;
    };
    const auto first = read_all();
    const std::uint64_t flips = flash->counters().bits_flipped;
    CHECK(read_all() == first); // same seed, same flips
    // 131072 bits at 0.001: about 131; allow a wide margin (binomial sd ~ 11).
    CHECK(flips > 80);
    CHECK(flips < 190);
    std::uint64_t zero_bits = 0;
    for (auto b : first) {
        zero_bits += static_cast<std::uint64_t>(8 - __builtin_popcount(b));
    }
    CHECK(zero_bits == flips);
    const auto cells = flash->snapshot();
    CHECK(std::all_of(cells.begin(), cells.end(), [](auto b) { return b == 0xFF; }));
}

TEST_CASE("a file-backed flash keeps contents and wear across a reopen", "[nor][file]") {
    const auto path = temp_path("fota-flash-test");
    std::filesystem::remove(path);
    std::filesystem::remove(path.string() + ".wear");
    const auto data = pattern(4096, 19);
    {
        auto flash = NorFlash::open_file(path.string(), small_geometry());
        REQUIRE(flash);
        REQUIRE(flash.value()->erase(4096, 4096) == FlashStatus::ok);
        REQUIRE(flash.value()->write(4096, data) == FlashStatus::ok);
        flash.value()->arm(FaultPlan::cut_torn(1, 3));
        CHECK(flash.value()->write(0, data) == FlashStatus::power_lost);
    }
    CHECK(std::filesystem::file_size(path) == 16 * 1024);
    {
        auto flash = NorFlash::open_file(path.string(), small_geometry());
        REQUIRE(flash);
        std::vector<std::uint8_t> out(4096);
        REQUIRE(flash.value()->read(4096, out) == FlashStatus::ok);
        CHECK(out == data);
        REQUIRE(flash.value()->read(0, out) == FlashStatus::ok);
        CHECK(out != data); // the torn write persisted as torn
        CHECK(flash.value()->counters().erases_per_page[1] == 1);
        Geometry other = small_geometry();
        other.size = 32 * 1024;
        auto mismatch = NorFlash::open_file(path.string(), other);
        REQUIRE_FALSE(mismatch);
        CHECK_THAT(mismatch.error().message, Catch::Contains("geometry needs"));
    }
    std::filesystem::remove(path);
    std::filesystem::remove(path.string() + ".wear");
    CHECK_FALSE(NorFlash::open_file("/nonexistent-dir/flash.bin", small_geometry()));
}

TEST_CASE("restore replaces the contents for a sweep", "[nor]") {
    auto flash = ram(small_geometry());
    const std::vector<std::uint8_t> snapshot = flash->snapshot();
    REQUIRE(flash->write(0, pattern(8, 1)) == FlashStatus::ok);
    REQUIRE(flash->restore(snapshot));
    CHECK(flash->snapshot() == snapshot);
    CHECK_FALSE(flash->restore(std::vector<std::uint8_t>(10)));
}
