#include "flash_test_support.hpp"

#include <catch2/catch.hpp>

using namespace fota::flash;
using namespace fota::flash::test;

namespace {

TrailerState trailer(Device& device, Slot slot) {
    TrailerState state;
    REQUIRE(device.boot_model().read_trailer(slot, state) == FlashStatus::ok);
    return state;
}

} // namespace

TEST_CASE("a factory image without trailer boots and counts as confirmed", "[boot]") {
    const Setup setup = setup_named("small");
    auto device = make_device(setup, false);
    const BootResult result = device->boot();
    REQUIRE(result.booted);
    CHECK(result.version == setup.old_image.version);
    CHECK(result.confirmed);
    CHECK(result.swap == SwapType::none);
    CHECK(result.flash_operations == 0);
    const std::uint64_t before = device->flash().counters().operations;
    CHECK(device->confirm() == FlashStatus::ok);
    CHECK(device->flash().counters().operations == before); // nothing to confirm
}

TEST_CASE("test upgrade: swap, run unconfirmed, revert on the next reset", "[boot]") {
    const Setup setup = setup_named("small");
    auto device = make_device(setup, true);
    const auto old_image = image_bytes(setup.old_image);
    const auto new_image = image_bytes(setup.new_image);
    REQUIRE(device->request_upgrade(UpgradeMode::test) == FlashStatus::ok);
    const TrailerState requested = trailer(*device, Slot::secondary);
    CHECK(requested.magic_good);
    CHECK_FALSE(requested.image_ok);
    CHECK(requested.swap_type() == SwapType::test);

    const BootResult upgraded = device->boot();
    REQUIRE(upgraded.booted);
    CHECK(upgraded.swap == SwapType::test);
    CHECK_FALSE(upgraded.resumed);
    CHECK(upgraded.version == setup.new_image.version);
    CHECK_FALSE(upgraded.confirmed);
    CHECK(slot_bytes(*device, Slot::primary, new_image.size()) == new_image);
    CHECK(slot_bytes(*device, Slot::secondary, old_image.size()) == old_image);
    const TrailerState primary = trailer(*device, Slot::primary);
    CHECK(primary.magic_good);
    CHECK(primary.copy_done);
    CHECK_FALSE(primary.image_ok);
    CHECK(trailer(*device, Slot::secondary).magic_erased);

    const BootResult reverted = device->boot();
    REQUIRE(reverted.booted);
    CHECK(reverted.reverted());
    CHECK(reverted.version == setup.old_image.version);
    CHECK(reverted.confirmed);
    CHECK(slot_bytes(*device, Slot::primary, old_image.size()) == old_image);
    CHECK(slot_bytes(*device, Slot::secondary, new_image.size()) == new_image);

    const BootResult stable = device->boot();
    CHECK(stable.swap == SwapType::none);
    CHECK(stable.version == setup.old_image.version);
    CHECK(stable.flash_operations == 0);
    CHECK(device->flash().counters().violations == 0);
}

TEST_CASE("test upgrade confirmed by the application stays", "[boot]") {
    const Setup setup = setup_named("small");
    auto device = make_device(setup, true);
    REQUIRE(device->request_upgrade(UpgradeMode::test) == FlashStatus::ok);
    REQUIRE(device->boot().booted);
    REQUIRE(device->confirm() == FlashStatus::ok);
    const std::uint64_t before = device->flash().counters().operations;
    REQUIRE(device->confirm() == FlashStatus::ok); // idempotent, no flash operation
    CHECK(device->flash().counters().operations == before);
    for (int reboot = 0; reboot < 3; ++reboot) {
        const BootResult result = device->boot();
        REQUIRE(result.booted);
        CHECK(result.swap == SwapType::none);
        CHECK(result.confirmed);
        CHECK(result.version == setup.new_image.version);
    }
}

TEST_CASE("permanent upgrade is confirmed by the bootloader", "[boot]") {
    const Setup setup = setup_named("small-w16-e00");
    auto device = make_device(setup, true);
    REQUIRE(device->request_upgrade(UpgradeMode::permanent) == FlashStatus::ok);
    CHECK(trailer(*device, Slot::secondary).image_ok);
    const BootResult result = device->boot();
    REQUIRE(result.booted);
    CHECK(result.swap == SwapType::permanent);
    CHECK(result.confirmed);
    CHECK(result.version == setup.new_image.version);
    const BootResult again = device->boot();
    CHECK(again.swap == SwapType::none);
    CHECK(again.version == setup.new_image.version);
    CHECK(device->flash().counters().violations == 0);
}

TEST_CASE("request_upgrade is idempotent and can change test to permanent", "[boot]") {
    const Setup setup = setup_named("small");
    auto device = make_device(setup, true);
    REQUIRE(device->request_upgrade(UpgradeMode::test) == FlashStatus::ok);
    const std::uint64_t after_first = device->flash().counters().operations;
    REQUIRE(device->request_upgrade(UpgradeMode::test) == FlashStatus::ok);
    CHECK(device->flash().counters().operations == after_first);
    REQUIRE(device->request_upgrade(UpgradeMode::permanent) == FlashStatus::ok);
    CHECK(device->boot().swap == SwapType::permanent);
}

TEST_CASE("a bad secondary image is rejected, erased and not booted", "[boot]") {
    const Setup setup = setup_named("small");
    auto device = make_device(setup, false);
    auto image = image_bytes(setup.new_image);
    std::string expected;
    SECTION("a flipped body byte fails the hash") {
        image[0x300] ^= 0x40;
        expected = "SHA-256 mismatch";
    }
    SECTION("a wrong magic") {
        image[0] = 0x00;
        expected = "magic";
    }
    SECTION("an image too large for the swap") {
        TestImageOptions big = setup.new_image;
        big.total_size = device->boot_model().max_image_size() + 1;
        image = image_bytes(big);
        expected = "at most";
    }
    REQUIRE(download_to_secondary(*device, image) == FlashStatus::ok);
    REQUIRE(device->request_upgrade(UpgradeMode::test) == FlashStatus::ok);
    const BootResult result = device->boot();
    REQUIRE(result.booted);
    CHECK(result.secondary_rejected);
    CHECK_THAT(result.rejection, Catch::Contains(expected));
    CHECK(result.swap == SwapType::none);
    CHECK(result.version == setup.old_image.version);
    const auto secondary =
        slot_bytes(*device, Slot::secondary, device->boot_model().partition(Slot::secondary).size);
    CHECK(std::all_of(secondary.begin(), secondary.end(), [](auto b) { return b == 0xFF; }));
    CHECK(device->boot().swap == SwapType::none);
}

TEST_CASE("an empty primary slot does not boot and says why", "[boot]") {
    const Setup setup = setup_named("small");
    DeviceConfig config;
    config.geometry = setup.geometry;
    config.layout = setup.layout;
    auto device = Device::open(config);
    REQUIRE(device);
    const BootResult result = device.value()->boot();
    CHECK_FALSE(result.booted);
    CHECK_THAT(result.error, Catch::Contains("no bootable image"));
    CHECK(device.value()->store() == nullptr);
}

TEST_CASE("upgrade to a smaller image and back keeps both intact", "[boot]") {
    Setup setup = setup_named("small");
    std::swap(setup.old_image, setup.new_image); // the installed image is the larger one
    auto device = make_device(setup, true);
    const auto old_image = image_bytes(setup.old_image);
    const auto new_image = image_bytes(setup.new_image);
    REQUIRE(device->request_upgrade(UpgradeMode::test) == FlashStatus::ok);
    REQUIRE(device->boot().version == setup.new_image.version);
    CHECK(slot_bytes(*device, Slot::secondary, old_image.size()) == old_image);
    REQUIRE(device->boot().reverted());
    CHECK(slot_bytes(*device, Slot::primary, old_image.size()) == old_image);
}

TEST_CASE("an image downloaded like the NCS DFU target upgrades, twice in a row", "[boot]") {
    const Setup setup = setup_named("nrf9160");
    auto device = make_device(setup, false);
    REQUIRE(device->boot().booted);
    const auto update = image_bytes(setup.new_image);
    REQUIRE(download_to_secondary(*device, update) == FlashStatus::ok);
    REQUIRE(device->request_upgrade(UpgradeMode::test) == FlashStatus::ok);
    BootResult result = device->boot();
    REQUIRE(result.version == setup.new_image.version);
    REQUIRE(device->confirm() == FlashStatus::ok);
    // The next update goes over the old image that the swap left in the secondary slot.
    TestImageOptions third = setup.new_image;
    third.version = ImageVersion{1, 3, 0, 0};
    third.seed = 99;
    REQUIRE(download_to_secondary(*device, image_bytes(third)) == FlashStatus::ok);
    REQUIRE(device->request_upgrade(UpgradeMode::permanent) == FlashStatus::ok);
    result = device->boot();
    REQUIRE(result.booted);
    CHECK(result.version == third.version);
    CHECK(result.confirmed);
    CHECK(device->flash().counters().violations == 0);
}

TEST_CASE("boot model refuses layouts it cannot swap", "[boot]") {
    Geometry geometry = Geometry::nrf9160();
    auto flash = NorFlash::create_ram(geometry);
    REQUIRE(flash);
    auto unequal = PartitionTable::parse("mcuboot_primary=8KiB,mcuboot_secondary=12KiB", geometry);
    REQUIRE(unequal);
    auto model = BootModel::create(*flash.value(), unequal.value());
    REQUIRE_FALSE(model);
    CHECK_THAT(model.error().message, Catch::Contains("equal size"));
    auto tiny = PartitionTable::parse("mcuboot_primary=8KiB,mcuboot_secondary=8KiB", geometry);
    REQUIRE(tiny);
    CHECK_FALSE(BootModel::create(*flash.value(), tiny.value()));
    auto missing = PartitionTable::parse("mcuboot_primary=64KiB", geometry);
    REQUIRE(missing);
    CHECK_FALSE(BootModel::create(*flash.value(), missing.value()));
    Geometry fine_pages = geometry;
    fine_pages.page_size = 256;
    fine_pages.write_unit = 16;
    auto many =
        PartitionTable::parse("mcuboot_primary=256KiB,mcuboot_secondary=256KiB", fine_pages);
    REQUIRE(many);
    auto fine_flash = NorFlash::create_ram(fine_pages);
    REQUIRE(fine_flash);
    auto too_many_pages = BootModel::create(*fine_flash.value(), many.value());
    REQUIRE_FALSE(too_many_pages);
    CHECK_THAT(too_many_pages.error().message, Catch::Contains("trailer"));
}
