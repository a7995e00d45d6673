// libFuzzer target: the scenario parser must turn any input into a scenario or into errors with a
// position, never crash, hang or throw. Seeded with the scenario library and the parser's cases.
#include "scenario/scenario_parser.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto result = fota::sim::parse_scenario(text, "fuzz.yaml");
    // Exactly one of: a scenario, or at least one error; every error names the file.
    if (result.ok() == !result.errors.empty()) {
        std::abort();
    }
    for (const auto& error : result.errors) {
        if (error.file != "fuzz.yaml" || error.message.empty() || error.mark.line < 0) {
            std::abort();
        }
    }
    if (result.ok()) {
        // A parsed scenario is internally consistent.
        const auto& scenario = *result.scenario;
        if (scenario.devices.empty() || scenario.firmware.empty() || scenario.steps.empty() ||
            scenario.expectations.empty()) {
            std::abort();
        }
        for (const auto& expectation : scenario.expectations) {
            (void)fota::sim::describe(expectation);
        }
    }
    return 0;
}
