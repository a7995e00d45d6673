// libFuzzer: the boot model over arbitrary trailers and headers. The input patches bytes of both
// slot trailers and image headers of a small device that holds an installed image and a staged
// update; booting (twice) must never crash, hang or break a strict flash rule silently: it either
// boots an image or says why not.
#include "../flash_test_support.hpp"

#include <algorithm>
#include <cstdlib>

namespace {

using namespace fota::flash;

struct Base {
    std::unique_ptr<Device> device;
    std::vector<std::uint8_t> snapshot;
    Base() {
        device = test::make_device(test::setup_named("small"), true);
        snapshot = device->flash().snapshot();
    }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static Base base;
    Device& device = *base.device;
    NorFlash& flash = device.flash();
    flash.disarm();
    flash.power_on();
    std::vector<std::uint8_t> cells = base.snapshot;
    const std::uint32_t page = flash.geometry().page_size;
    const std::uint32_t regions[4] = {
        device.boot_model().partition(Slot::primary).offset +
            device.boot_model().trailer_page_offset(),
        device.boot_model().partition(Slot::secondary).offset +
            device.boot_model().trailer_page_offset(),
        device.boot_model().partition(Slot::primary).offset,
        device.boot_model().partition(Slot::secondary).offset,
    };
    // Patches: [region (1 byte)][offset in the region's page (2 bytes)][length (1)][bytes...]
    std::size_t at = 0;
    while (at + 4 <= size) {
        const std::uint32_t region = regions[data[at] % 4];
        const std::uint32_t offset = (static_cast<std::uint32_t>(data[at + 1]) |
                                      static_cast<std::uint32_t>(data[at + 2]) << 8) %
                                     page;
        std::size_t length = data[at + 3];
        at += 4;
        length = std::min({length, size - at, std::size_t{page - offset}});
        std::copy_n(data + at, length, cells.begin() + region + offset);
        at += length;
    }
    if (!flash.restore(cells)) {
        std::abort();
    }
    for (int boot = 0; boot < 2; ++boot) {
        const BootResult result = device.boot();
        if (result.booted != result.error.empty()) {
            std::abort();
        }
    }
    return 0;
}
