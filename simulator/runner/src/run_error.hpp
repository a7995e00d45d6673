// How the runner ends a scenario in Outcome::error: RunError with a message naming the scenario
// file and line where it can.
#pragma once

#include "scenario/scenario.hpp"

#include <stdexcept>
#include <string>

namespace fota::sim::runner {

/// The scenario cannot be run on: Outcome::error with this message.
struct RunError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// "<file>:<line>" of mark in scenario.
inline std::string where(const Scenario& scenario, const SourceMark& mark) {
    return scenario.file + ":" + std::to_string(mark.line);
}

[[noreturn]] inline void unsupported(const Scenario& scenario, const SourceMark& mark,
                                     const std::string& what) {
    throw RunError(where(scenario, mark) + ": " + what + " is not supported by this runner yet");
}

} // namespace fota::sim::runner
