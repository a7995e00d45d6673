// Checks the file written by `fota-sim mkimage --version 1.2.3+4 --size 200KiB --seed 7` (a CTest
// fixture runs the command and passes the path in FOTA_MKIMAGE_OUTPUT).
#include "fota/flash/mcuboot_image.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <iterator>

using namespace fota::flash;

TEST_CASE("fota-sim mkimage writes the deterministic image its options describe", "[mkimage]") {
    const char* path = std::getenv("FOTA_MKIMAGE_OUTPUT");
    REQUIRE(path != nullptr);
    std::ifstream in(path, std::ios::binary);
    REQUIRE(in.good());
    const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                          std::istreambuf_iterator<char>());
    CHECK(bytes.size() == 200 * 1024);
    auto info = parse_image(bytes);
    REQUIRE(info);
    CHECK(info->header.version.to_string() == "1.2.3+4");
    TestImageOptions options;
    options.version = ImageVersion{1, 2, 3, 4};
    options.total_size = 200 * 1024;
    options.seed = 7;
    CHECK(bytes == make_test_image(options).value());
}
