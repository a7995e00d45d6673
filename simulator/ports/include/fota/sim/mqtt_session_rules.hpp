// What every MqttClient implementation does the same way (the Paho session and the simulation's):
// the reconnect backoff and the lose-next-message fault. No I/O.
#pragma once

#include "fota/sim/mqtt_client.hpp"

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace fota::sim {

/// The capped exponential backoff before a reconnect, attempts_since_success (0-based) after the
/// last established session: min(reconnect_min_ms * 2^n, reconnect_max_ms). A session waits a time
/// drawn from [backoff / 2, backoff].
inline std::uint64_t reconnect_backoff_ms(const MqttOptions& options,
                                          std::uint32_t attempts_since_success) {
    const std::uint32_t shift = std::min<std::uint32_t>(attempts_since_success, 16);
    return std::min<std::uint64_t>(static_cast<std::uint64_t>(options.reconnect_min_ms) << shift,
                                   options.reconnect_max_ms);
}

/// The wait before the next reconnect attempt, in ms: drawn with `random` (anything with
/// below(n), a number in [0, n)) from [backoff / 2, backoff] of reconnect_backoff_ms.
template <typename Random>
std::uint64_t reconnect_delay_ms(const MqttOptions& options, std::uint32_t attempts_since_success,
                                 Random& random) {
    const std::uint64_t backoff = reconnect_backoff_ms(options, attempts_since_success);
    return backoff / 2 + random.below(backoff - backoff / 2 + 1);
}

/// The lose_next_message fault: once armed, the next message whose topic ends with the suffix
/// (any topic when it is empty) is lost, and the fault is spent.
class LoseNextMessage {
public:
    void arm(std::string topic_suffix) {
        armed_ = true;
        suffix_ = std::move(topic_suffix);
    }

    /// Whether the message on `topic` is lost.
    bool take(std::string_view topic) {
        if (!armed_ || topic.size() < suffix_.size() ||
            topic.substr(topic.size() - suffix_.size()) != suffix_) {
            return false;
        }
        armed_ = false;
        return true;
    }

private:
    bool armed_ = false;
    std::string suffix_;
};

} // namespace fota::sim
