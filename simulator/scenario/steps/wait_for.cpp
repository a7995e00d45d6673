// Step wait_for: wait until a condition holds, failing after a timeout.
#include "scenario/parse_context.hpp"

namespace fota::sim::steps {

std::optional<WaitForStep> parse_wait_for(ParseContext& context, const YAML::Node& body,
                                          const std::string& here) {
    auto timed = context.timed_condition(body, here, "timeout");
    if (!timed) {
        return std::nullopt;
    }
    return WaitForStep{std::move(timed->condition), timed->time};
}

} // namespace fota::sim::steps
