// Step hold: a condition must stay true for a duration.
#include "scenario/parse_context.hpp"

namespace fota::sim::steps {

std::optional<HoldStep> parse_hold(ParseContext& context, const YAML::Node& body,
                                   const std::string& here) {
    auto timed = context.timed_condition(body, here, "for");
    if (!timed) {
        return std::nullopt;
    }
    return HoldStep{std::move(timed->condition), timed->time};
}

} // namespace fota::sim::steps
