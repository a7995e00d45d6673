// libFuzzer target: fota-sim import's readers must turn any input into records or into an error
// that says what is wrong, never crash, hang or throw; whatever they accept, the generator turns
// into a scenario or into an error saying what was missing, and twice into the same bytes.
#include "fota/sim/import.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    using namespace fota::sim::importer;
    FieldRecord record;
    const auto log_error = read_iot_log(text, "fuzz.jsonl", record);
    const auto execution_error = read_executions(text, "fuzz.json", "", record);
    for (const auto& error : {log_error, execution_error}) {
        if (error && (error->message.empty() || error->line < 0)) {
            std::abort();
        }
    }
    ImportOptions options;
    const ImportResult result = generate_scenario(record, options);
    if (result.ok() == result.yaml.empty()) {
        std::abort();
    }
    if (generate_scenario(record, options).yaml != result.yaml) {
        std::abort();
    }
    return 0;
}
