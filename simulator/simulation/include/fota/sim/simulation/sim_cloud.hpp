// The local AWS IoT of the deterministic simulation: the same CloudCore (Jobs and Shadow
// services, fault knobs) and the same topic policy and control dispatch as the Mosquitto plugin,
// hosted by the in-memory broker on the virtual clock instead of by Mosquitto. What the plugin
// guarantees a device (replies reach the requester without a subscription and nobody else,
// client id = thing name on reserved topics, AWS's limits, cloud state surviving a broker
// restart) holds here because it is the same code, not a second implementation of it.
#pragma once

#include "fota/sim/simulation/broker.hpp"
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

    SimCloud(Scheduler& scheduler, Broker& broker, std::int64_t epoch_seconds = kDefaultEpoch);
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

private:
    void schedule_tick();

    Scheduler& scheduler_;
    Broker& broker_;
    std::int64_t epoch_seconds_;
    std::unique_ptr<cloud::CloudCore> core_;
};

} // namespace fota::sim::simulation
