// Reads a scenario file (YAML) into the scenario model, checking everything a runner would trip
// over later: unknown keys, wrong types, impossible values, and names that do not resolve.
#pragma once

#include "scenario/scenario.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fota::sim {

/// One problem in a scenario file, at a position ("file:line:col: message").
struct Diagnostic {
    std::string file;
    SourceMark mark;
    std::string message;

    /// "file:line:col: message" (or "file: message" when the position is unknown).
    std::string to_string() const;
};

struct ParseResult {
    std::optional<Scenario> scenario; ///< set only when there are no errors
    std::vector<Diagnostic> errors;   ///< in file order as far as they were found

    bool ok() const { return scenario.has_value(); }
};

/// Largest scenario file accepted, in bytes.
inline constexpr std::size_t kMaxScenarioBytes = 1024ULL * 1024;

/// Parses and validates a scenario from text. file_name is used in diagnostics and stored in
/// Scenario::file; base_dir is the folder relative to which `file:` paths of firmware resolve (the
/// scenario's folder), or empty for the current directory.
/// Returns the scenario, or every error found (at least one). Never throws, never crashes, and
/// takes time linear in the input on any input (aliases that would blow up the walk are refused).
ParseResult parse_scenario(std::string_view text, const std::string& file_name,
                           const std::string& base_dir = "");

/// Reads path and parses it as above (base_dir = the file's folder). A file that cannot be read
/// or is larger than kMaxScenarioBytes gives one error.
ParseResult parse_scenario_file(const std::string& path);

} // namespace fota::sim
