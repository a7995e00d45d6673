// libFuzzer target: the recording reader must turn any input into a recording or into an error
// with a line, never crash, hang or throw; a recording it accepts must replay without crashing
// (the replay hands whatever results the file holds to a real core).
#include "fota/record/reader.hpp"
#include "fota/record/replay.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
    const fota::record::ReadResult read = fota::record::read_recording(in);
    if (!read.recording) {
        // An error names a line of the input and says what is wrong.
        if (read.error.line == 0 || read.error.message.empty()) {
            std::abort();
        }
        return 0;
    }
    const fota::record::ReplayResult result = fota::record::replay(*read.recording);
    if (!result.identical && result.expected.empty()) {
        std::abort();
    }
    (void)fota::record::describe(result);
    return 0;
}
