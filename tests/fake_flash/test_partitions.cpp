#include "fota/flash/partitions.hpp"

#include <catch2/catch.hpp>

using namespace fota::flash;

TEST_CASE("the nRF9160 default layout", "[partitions]") {
    auto table = PartitionTable::parse(kNrf9160Layout, Geometry::nrf9160());
    REQUIRE(table);
    REQUIRE(table->partitions().size() == 4);
    CHECK(table->find("mcuboot")->offset == 0x0);
    CHECK(table->find("mcuboot")->size == 0xC000);
    CHECK(table->find("mcuboot_primary")->offset == 0xC000);
    CHECK(table->find("mcuboot_primary")->size == 0x76000);
    CHECK(table->find("mcuboot_secondary")->offset == 0x82000);
    CHECK(table->find("settings_storage")->offset == 0xF8000);
    CHECK(table->find("settings_storage")->end() == 0x100000);
    CHECK(table->find("nope") == nullptr);
    CHECK(table->to_string() == "mcuboot@0x0=48KiB,mcuboot_primary@0xc000=472KiB,"
                                "mcuboot_secondary@0x82000=472KiB,settings_storage@0xf8000=32KiB");
    auto again = PartitionTable::parse(table->to_string(), Geometry::nrf9160());
    REQUIRE(again);
    CHECK(again->partitions() == table->partitions());
}

TEST_CASE("explicit offsets leave gaps", "[partitions]") {
    auto table = PartitionTable::parse("a=4KiB,b@0x10000=8KiB,c=4KiB", Geometry::nrf9160());
    REQUIRE(table);
    CHECK(table->find("b")->offset == 0x10000);
    CHECK(table->find("c")->offset == 0x12000);
}

TEST_CASE("invalid layouts are refused with the entry and the reason", "[partitions]") {
    const std::pair<const char*, const char*> cases[] = {
        {"", "empty"},
        {"a", "name=SIZE"},
        {"=4KiB", "1 to 64"},
        {"a b=4KiB", "letters"},
        {"a=0", "must not be 0"},
        {"a=100", "multiples of the page size"},
        {"a@0x100=4KiB", "multiples of the page size"},
        {"a=2MiB", "past the end"},
        {"a=4KiB,a=4KiB", "used twice"},
        {"a=8KiB,b@0x1000=4KiB", "overlaps 'a'"},
        {"a=4Kb", "unit"},
        {"a@zz=4KiB", "invalid size"},
    };
    for (const auto& [layout, reason] : cases) {
        INFO(layout);
        auto table = PartitionTable::parse(layout, Geometry::nrf9160());
        REQUIRE_FALSE(table);
        CHECK_THAT(table.error().message, Catch::Contains(reason));
    }
}
