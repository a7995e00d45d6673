// The table of expectation kinds: each check of a scenario's final state, by its key in a scenario
// file, with the functions that parse and validate it and describe it in reports
// (expectations/<kind>.cpp). The parser dispatches on it, its error messages list its names, and
// to_string(Expectation::Kind) and describe() read it. A new kind is a new file here (<kind>.cpp)
// and its check beside it (<kind>_check.cpp, in the runner's table
// simulator/runner/src/expectation_checks.cpp), its test
// (tests/simulator/scenario/expectations/<kind>_test.cpp), its value of Expectation::Kind (and any
// new field) in scenario.hpp, and one line in each table.
#pragma once

#include "scenario/scenario.hpp"

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace YAML {
class Node;
}

namespace fota::sim {

class ParseContext;

struct ExpectationKind {
    std::string_view name; ///< the expectation's key in a scenario file, e.g. "running_version"
    Expectation::Kind kind;
    /// Parses and validates the expectation's value (body); here names it for messages
    /// ("expectation 'slot'"). nullopt after reporting every error found.
    std::optional<Expectation> (*parse)(ParseContext& context, const YAML::Node& body,
                                        const std::string& here);
    /// The label of an expectation after its kind's name, e.g. ": job j1 is COMPLETED".
    std::string (*describe)(const Expectation& expectation);
};

/// Every expectation kind, in the order of Expectation::Kind.
std::span<const ExpectationKind> expectation_kinds();

/// The kind named name, or nullptr.
const ExpectationKind* find_expectation_kind(std::string_view name);

/// The names of expectation_kinds(), in order (for messages).
std::vector<std::string_view> expectation_kind_names();

/// For describe functions: "all devices", "dev-0", or "3 devices (dev-0, ...)".
std::string devices_text(const DeviceSelector& selector);
/// For describe functions: "= 2", ">= 1", "<= 3" or ">= 1 and <= 3".
std::string range_text(const CountRange& range);

} // namespace fota::sim
