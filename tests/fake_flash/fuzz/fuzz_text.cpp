// libFuzzer: the one-line parsers (fault plans, geometries, layouts, versions, sizes). The first
// byte picks the parser. Every accepted input prints back to text that parses to the same value.
#include "fota/flash/fault_plan.hpp"
#include "fota/flash/mcuboot_image.hpp"
#include "fota/flash/nor_flash.hpp"
#include "fota/flash/partitions.hpp"
#include "fota/flash/text.hpp"

#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace fota::flash;
    if (size == 0) {
        return 0;
    }
    const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
    switch (data[0] % 5) {
    case 0: {
        auto plan = FaultPlan::parse(text);
        if (plan) {
            auto again = FaultPlan::parse(plan->to_string());
            if (!again || !(again.value() == plan.value())) {
                std::abort();
            }
        }
        break;
    }
    case 1: {
        auto geometry = Geometry::parse(text);
        if (geometry) {
            auto again = Geometry::parse(geometry->to_string());
            if (!again || !(again.value() == geometry.value()) || !geometry->validate()) {
                std::abort();
            }
        }
        break;
    }
    case 2: {
        auto table = PartitionTable::parse(text, Geometry::nrf9160());
        if (table) {
            auto again = PartitionTable::parse(table->to_string(), Geometry::nrf9160());
            if (!again || again->partitions() != table->partitions()) {
                std::abort();
            }
        }
        break;
    }
    case 3: {
        auto version = ImageVersion::parse(text);
        if (version) {
            auto again = ImageVersion::parse(version->to_string());
            if (!again || again.value() != version.value()) {
                std::abort();
            }
        }
        break;
    }
    default: {
        auto value = parse_size(text);
        if (value && parse_size(format_size(value.value())).value() != value.value()) {
            std::abort();
        }
        break;
    }
    }
    return 0;
}
