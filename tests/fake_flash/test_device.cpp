#include "flash_test_support.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <unistd.h>

using namespace fota::flash;
using namespace fota::flash::test;

namespace {

std::vector<std::uint8_t> bytes(const std::string& text) {
    return std::vector<std::uint8_t>(text.begin(), text.end());
}

struct TempFile {
    std::filesystem::path path = std::filesystem::temp_directory_path() /
                                 ("fota-device-" + std::to_string(::getpid()) + ".flash");
    TempFile() { clean(); }
    ~TempFile() { clean(); }
    void clean() {
        std::filesystem::remove(path);
        std::filesystem::remove(path.string() + ".wear");
    }
};

std::unique_ptr<Device> open_file(const Setup& setup, const TempFile& file) {
    DeviceConfig config;
    config.geometry = setup.geometry;
    config.layout = setup.layout;
    config.file = file.path.string();
    auto device = Device::open(config);
    REQUIRE(device);
    return std::move(device.value());
}

} // namespace

TEST_CASE("device configuration errors are reported", "[device]") {
    DeviceConfig config;
    config.layout = "mcuboot=48KiB,mcuboot_primary=472KiB,mcuboot_secondary=472KiB";
    CHECK_THAT(Device::open(config).error().message, Catch::Contains("settings_storage"));
    config.layout = "settings_storage=32KiB";
    CHECK_THAT(Device::open(config).error().message, Catch::Contains("mcuboot_primary"));
    config.layout = "bad";
    CHECK_FALSE(Device::open(config));
    config = DeviceConfig{};
    config.geometry.write_unit = 3;
    CHECK_FALSE(Device::open(config));
}

TEST_CASE("a file-backed device upgrades across process restarts", "[device][file]") {
    const Setup setup = setup_named("small");
    TempFile file;
    {
        auto device = open_file(setup, file);
        const auto factory = image_bytes(setup.old_image);
        std::vector<std::uint8_t> padded = factory;
        padded.resize((factory.size() + 3) / 4 * 4, 0xFF);
        REQUIRE(device->flash().write(device->boot_model().partition(Slot::primary).offset,
                                      padded) == FlashStatus::ok);
        REQUIRE(device->boot().booted);
        REQUIRE(device->store()->save("job", bytes("job-42")));
        REQUIRE(download_to_secondary(*device, image_bytes(setup.new_image)) == FlashStatus::ok);
        REQUIRE(device->request_upgrade(UpgradeMode::test) == FlashStatus::ok);
        // Power is cut in the middle of the swap...
        device->flash().arm(FaultPlan::cut_torn(40, 7));
        const BootResult cut = device->boot();
        CHECK(cut.flash_status == FlashStatus::power_lost);
    }
    {
        // ...and the process restarts: the swap resumes from the file.
        auto device = open_file(setup, file);
        const BootResult result = device->boot();
        REQUIRE(result.booted);
        CHECK(result.resumed);
        CHECK(result.version == setup.new_image.version);
        CHECK_FALSE(result.confirmed);
        REQUIRE(device->confirm() == FlashStatus::ok);
        CHECK(device->store()->load("job") == bytes("job-42"));
    }
    {
        auto device = open_file(setup, file);
        const BootResult result = device->boot();
        REQUIRE(result.booted);
        CHECK(result.swap == SwapType::none);
        CHECK(result.confirmed);
        CHECK(result.version == setup.new_image.version);
        CHECK(device->flash().counters().erases_per_page[4] >= 1); // wear survived the restarts
    }
}

TEST_CASE("secondary slot access is bounded by the slot", "[device]") {
    auto device = make_device(setup_named("small"), false);
    const std::uint32_t size = device->secondary_size();
    CHECK(size == 48 * 1024);
    std::vector<std::uint8_t> data(8, 0);
    CHECK(device->write_secondary(size - 4, data) == FlashStatus::out_of_range);
    CHECK(device->read_secondary(size, data) == FlashStatus::out_of_range);
    CHECK(device->erase_secondary(size - 4096, 8192) == FlashStatus::out_of_range);
    CHECK(device->erase_secondary(size - 4096, 4096) == FlashStatus::ok);
    CHECK(device->write_secondary(size - 8, data) == FlashStatus::ok);
    std::vector<std::uint8_t> out(8, 1);
    CHECK(device->read_secondary(size - 8, out) == FlashStatus::ok);
    CHECK(out == data);
}

TEST_CASE("a failing write during a swap is a clear error and the next boot finishes",
          "[device][fault]") {
    const Setup setup = setup_named("small");
    auto device = make_device(setup, true);
    REQUIRE(device->request_upgrade(UpgradeMode::permanent) == FlashStatus::ok);
    const Partition& primary = device->boot_model().partition(Slot::primary);
    const std::uint32_t trailer = primary.offset + device->boot_model().trailer_page_offset();
    SECTION("one write fails (operation 21, a page copy)") {
        auto plan = FaultPlan::parse("fail-write@21");
        REQUIRE(plan);
        device->flash().arm(plan.value());
    }
    SECTION("the swap status area is a bad region") {
        auto plan = FaultPlan::parse("fail-write@" + std::to_string(trailer) + "+4096");
        REQUIRE(plan);
        device->flash().arm(plan.value());
    }
    const BootResult failed = device->boot();
    CHECK_FALSE(failed.booted);
    CHECK(failed.flash_status == FlashStatus::write_failed);
    CHECK_THAT(failed.error, Catch::Contains("write_failed"));
    device->flash().disarm();
    const BootResult result = device->boot();
    REQUIRE(result.booted);
    CHECK(result.version == setup.new_image.version);
    CHECK(result.confirmed);
    CHECK(slot_bytes(*device, Slot::primary, image_bytes(setup.new_image).size()) ==
          image_bytes(setup.new_image));
}

TEST_CASE("read bit flips during validation make the hash check reject the image",
          "[device][fault]") {
    const Setup setup = setup_named("small");
    auto device = make_device(setup, true);
    REQUIRE(device->request_upgrade(UpgradeMode::test) == FlashStatus::ok);
    auto plan = FaultPlan::parse("flips=0.0001:seed=3");
    REQUIRE(plan);
    device->flash().arm(plan.value());
    const BootResult result = device->boot();
    CHECK(device->flash().counters().bits_flipped > 0);
    REQUIRE(result.secondary_rejected);
    CHECK_THAT(result.rejection, Catch::Contains("SHA-256") || Catch::Contains("magic") ||
                                     Catch::Contains("TLV") || Catch::Contains("past the end"));
    CHECK(result.swap == SwapType::none);
}

TEST_CASE("the store is mounted by a successful boot only", "[device]") {
    auto device = make_device(setup_named("small"), false);
    CHECK(device->store() == nullptr);
    REQUIRE(device->boot().booted);
    REQUIRE(device->store() != nullptr);
    REQUIRE(device->store()->save("version", bytes("1.0.0")));
    device->flash().arm(FaultPlan::cut_before(1));
    const BootResult again = device->boot(); // the boot itself does no flash operation
    REQUIRE(again.booted);
    CHECK(device->store()->load("version") == bytes("1.0.0"));
    auto saved = device->store()->save("version", bytes("1.1.0"));
    REQUIRE_FALSE(saved);
    CHECK(saved.error().flash == FlashStatus::power_lost);
    device->flash().disarm();
    REQUIRE(device->boot().booted);
    CHECK(device->store()->load("version") == bytes("1.0.0"));
}

TEST_CASE("a power cut while confirming either confirms or leads to a clean revert",
          "[device][fault]") {
    const Setup setup = setup_named("small");
    for (std::uint64_t seed = 0; seed < 12; ++seed) {
        auto device = make_device(setup, true);
        REQUIRE(device->request_upgrade(UpgradeMode::test) == FlashStatus::ok);
        REQUIRE(device->boot().version == setup.new_image.version);
        const bool torn = seed > 0;
        device->flash().arm(torn ? FaultPlan::cut_torn(1, seed) : FaultPlan::cut_before(1));
        REQUIRE(device->confirm() == FlashStatus::power_lost);
        device->flash().disarm();
        const BootResult result = device->boot();
        REQUIRE(result.booted);
        INFO("seed " << seed << ": " << to_string(result.swap) << " "
                     << result.version.to_string());
        if (!torn) {
            CHECK(result.reverted()); // the confirmation never reached the flash
        }
        const bool kept = result.swap == SwapType::none && result.confirmed &&
                          result.version == setup.new_image.version;
        const bool reverted =
            result.reverted() && result.confirmed && result.version == setup.old_image.version;
        CHECK((kept || reverted));
        CHECK(device->flash().counters().violations == 0);
    }
}
