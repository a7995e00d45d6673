// The local AWS IoT of the deterministic simulation: the same CloudCore (Jobs and Shadow
// services, fault knobs) and the same topic policy and control dispatch as the Mosquitto plugin,
// hosted by the in-memory broker on the virtual clock instead of by Mosquitto. What the plugin
// guarantees a device (replies reach the requester without a subscription and nobody else,
// client id = thing name on reserved topics, AWS's limits, cloud state surviving a broker
// restart) holds here because it is the same code, not a second implementation of it.
//
// What differs from the plugin, on purpose: each message the services publish enters the broker
// after a seeded delay of its own (cloud_delay.hpp), so replies and notifications to one device
// can overtake each other, as on AWS IoT, where the Jobs and Shadow services are not the broker.
#pragma once

#include "fota/sim/simulation/broker.hpp"
#include "fota/sim/simulation/cloud_delay.hpp"
#include "fota/sim/simulation/scheduler.hpp"

#include "fota/cloud/cloud_core.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <memory>

namespace fota::sim::simulation {

class SimCloud {
public:
    /// The cloud's clock reads `epoch_seconds` (Unix time) at virtual time 0, so timestamps in
    /// executions and shadows are the same in every run.
    static constexpr std::int64_t kDefaultEpoch = 1'798'761'600; // 2027-01-01T00:00:00Z

    /// `delays`: the services' delay per published message (default: on, cloud_delay.hpp).
    SimCloud(Scheduler& scheduler, Broker& broker, CloudDelayOptions delays = {},
             std::int64_t epoch_seconds = kDefaultEpoch);
    SimCloud(const SimCloud&) = delete;
    SimCloud& operator=(const SimCloud&) = delete;

    /// One control call ({"op", "args"}: control_dispatch.hpp), run at once; what it causes is
    /// published through the broker. The reply is dispatch_control's result.
    cloud::ControlResult control(const nlohmann::json& request);

    /// Runs one call on the services now and publishes the MQTT messages its result carries
    /// (what the control plane's REST calls do: cloud::ControlCall).
    cloud::ControlResult
    run(const std::function<cloud::ControlResult(cloud::CloudCore&, std::int64_t)>& call);

    /// The cloud's time (Unix seconds) now.
    [[nodiscard]] std::int64_t now_seconds() const;
    cloud::CloudCore& core() { return *core_; }

    /// Messages the services published, and the longest delay one of them waited.
    [[nodiscard]] std::uint64_t messages_published() const { return messages_published_; }
    [[nodiscard]] Duration longest_delay() const { return longest_delay_; }

private:
    void schedule_tick();
    /// Hands one message to the broker after its delay (at once when delays are off).
    void send(const cloud::OutboundMessage& message);

    Scheduler& scheduler_;
    Broker& broker_;
    CloudDelayOptions delays_;
    std::uint64_t messages_published_ = 0;
    Duration longest_delay_{0};
    std::int64_t epoch_seconds_;
    std::unique_ptr<cloud::CloudCore> core_;
};

} // namespace fota::sim::simulation
