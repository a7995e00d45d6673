// Step restart_broker: stop the broker and start it again on the same port.
#include "scenario/parse_context.hpp"

namespace fota::sim::steps {

std::optional<RestartBrokerStep> parse_restart_broker(ParseContext& context, const YAML::Node& body,
                                                      const std::string& here) {
    auto& r = context.reader();
    if (!r.expect_map(body, here, {"down_for"})) {
        return std::nullopt;
    }
    RestartBrokerStep restart;
    if (body["down_for"].IsDefined()) {
        auto value = r.duration(body["down_for"], "'down_for' in " + here,
                                std::chrono::milliseconds(0), context.scenario().deadline);
        if (!value) {
            return std::nullopt;
        }
        restart.down_for = *value;
    }
    return restart;
}

} // namespace fota::sim::steps
