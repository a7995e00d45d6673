// Replaying a recording (format: recording.hpp): for each boot segment a fresh fota::Agent with
// the recorded configuration and seed, whose ports hand back the recorded results; the recorded
// inputs are fed to it in order and each port call it makes is compared with the next recorded
// output. The replay stops at the first difference.
#pragma once

#include "fota/record/recording.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace fota::record {

struct ReplayResult {
    bool identical = false;
    std::uint64_t inputs = 0;  ///< inputs fed to the cores
    std::uint64_t outputs = 0; ///< outputs compared and equal
    std::size_t segments = 0;  ///< boot segments replayed
    // The first difference, when not identical:
    std::uint64_t output_number = 0; ///< 1-based, counting the file's outputs
    std::size_t line = 0;            ///< the recorded line where the difference shows
    std::uint32_t boot = 0;          ///< the boot segment's number
    std::string expected;            ///< the recorded call (compact JSON), or what came instead
    std::string got;                 ///< the replayed call, or "no call"
};

/// Receives one line per boot, input and compared output as the replay goes ("boot 2 (line 9):
/// seed 5", "  line 12 in: message ...", "  line 13 out 4: {...}").
using ReplayTrace = std::function<void(std::string_view line)>;

ReplayResult replay(const Recording& recording, const ReplayTrace& trace = {});

/// "identical (...)" or "output N: expected ... got ..." with the line and boot below it; unless
/// full, calls longer than 160 characters are shown around their first difference.
std::string describe(const ReplayResult& result, bool full = false);

} // namespace fota::record
