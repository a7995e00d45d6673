// What `fota-sim check FILE...` (and fota-sim run, before running anything) does with scenario
// files: parse each one and say what is wrong, where.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace fota::sim {

/// Parses and validates each file. Prints every error as "file:line:col: message" to err, and one
/// line "ok: <file>: <name>, <devices> devices, <steps> steps, <expectations> expectations" per
/// valid file to out. Returns 0 when there is at least one file and every file is valid, otherwise
/// 2 (the exit code fota-sim uses for a scenario that cannot be run). Never throws.
int check_scenario_files(const std::vector<std::string>& paths, std::ostream& out,
                         std::ostream& err);

} // namespace fota::sim
