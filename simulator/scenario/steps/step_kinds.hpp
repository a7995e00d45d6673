// The table of step kinds: each kind of step a scenario can take, by its key in a scenario file,
// with the function that parses and validates it (steps/<kind>.cpp). The parser dispatches on it,
// its error messages list its names, and step_name() reads it. A new kind is a new file here
// (<kind>.cpp) and its execution beside it (<kind>_run.cpp, in the runner's table
// simulator/runner/src/step_runs.cpp), its test (tests/simulator/scenario/steps/<kind>_test.cpp),
// its struct in scenario.hpp's StepAction, and one line in each table.
#pragma once

#include "scenario/scenario.hpp"

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

namespace YAML {
class Node;
}

namespace fota::sim {

class ParseContext;

struct StepKind {
    std::string_view name; ///< the step's key in a scenario file, e.g. "create_job"
    /// Parses and validates the step's value (body); here names the step for messages
    /// ("step 'create_job'"). nullopt after reporting every error found.
    std::optional<StepAction> (*parse)(ParseContext& context, const YAML::Node& body,
                                       const std::string& here);
};

/// Every step kind, in the order of StepAction's alternatives (step_kinds()[i] makes the
/// alternative i).
std::span<const StepKind> step_kinds();

/// The kind named name, or nullptr.
const StepKind* find_step_kind(std::string_view name);

/// The names of step_kinds(), in order (for messages).
std::vector<std::string_view> step_kind_names();

namespace detail {
template <class Step, class Variant>
struct AlternativeIndex;
template <class Step, class... Alternatives>
struct AlternativeIndex<Step, std::variant<Alternatives...>> {
    static constexpr std::size_t value = [] {
        constexpr bool same[] = {std::is_same_v<Step, Alternatives>...};
        std::size_t index = 0;
        while (index < sizeof...(Alternatives) && !same[index]) {
            ++index;
        }
        return index;
    }();
};
} // namespace detail

/// The index of Step among StepAction's alternatives (the variant's size when it is none): what
/// ties the tables of step kinds (parse here, execution in the runner) to StepAction's order.
template <class Step>
inline constexpr std::size_t step_action_index = detail::AlternativeIndex<Step, StepAction>::value;

} // namespace fota::sim
