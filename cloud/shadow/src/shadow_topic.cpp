#include "fota/cloud/shadow_topic.hpp"

#include <vector>

namespace fota::cloud {

std::optional<ShadowTopic> parse_shadow_topic(std::string_view topic) {
    constexpr std::string_view prefix = "$aws/things/";
    if (topic.substr(0, prefix.size()) != prefix) {
        return std::nullopt;
    }
    std::vector<std::string_view> levels;
    std::string_view rest = topic.substr(prefix.size());
    while (true) {
        const std::size_t slash = rest.find('/');
        levels.push_back(rest.substr(0, slash));
        if (slash == std::string_view::npos) {
            break;
        }
        rest = rest.substr(slash + 1);
    }
    if (levels.size() < 2 || levels[1] != "shadow") {
        return std::nullopt;
    }
    ShadowTopic parsed;
    parsed.thing_name = levels[0];
    std::size_t op = 2;
    if (levels.size() > 3 && levels[2] == "name") {
        parsed.shadow_name = levels[3];
        op = 4;
        if (parsed.shadow_name.empty()) {
            return parsed; // other
        }
    }
    if (levels.size() <= op) {
        return parsed;
    }
    const std::string_view operation = levels[op];
    const std::size_t after = levels.size() - op - 1;
    if (operation != "get" && operation != "update" && operation != "delete") {
        return parsed;
    }
    if (after == 0) {
        parsed.operation = operation == "get"      ? ShadowOperation::get
                           : operation == "update" ? ShadowOperation::update
                                                   : ShadowOperation::del;
    } else if (after == 1) {
        const std::string_view suffix = levels[op + 1];
        if (suffix == "accepted" || suffix == "rejected" ||
            (operation == "update" && (suffix == "delta" || suffix == "documents"))) {
            parsed.operation = ShadowOperation::reply;
        }
    }
    return parsed;
}

} // namespace fota::cloud
