#pragma once
// Helpers for the cloud service tests: find messages by topic, parse payloads.

#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "fota/cloud/messages.hpp"

namespace fota::cloud::test {

using nlohmann::json;

inline std::vector<OutboundMessage> on_topic(const Messages& messages, const std::string& topic) {
    std::vector<OutboundMessage> found;
    for (const auto& m : messages) {
        if (m.topic == topic) {
            found.push_back(m);
        }
    }
    return found;
}

/// The payload of the only message on `topic` (fails the test if there is not exactly one).
inline json only(const Messages& messages, const std::string& topic) {
    const auto found = on_topic(messages, topic);
    INFO("topic " << topic << " among " << messages.size() << " messages");
    REQUIRE(found.size() == 1);
    return json::parse(found.front().payload);
}

inline std::string describe(const Messages& messages) {
    std::string text;
    for (const auto& m : messages) {
        text += "[" + m.client_id + "] " + m.topic + " " + m.payload + "\n";
    }
    return text;
}

} // namespace fota::cloud::test
