// Stack `sim`: the deterministic simulation (simulator/simulation/). One thread and a virtual
// clock: the same CloudCore (Jobs, Shadow, the control ops and fault knobs) on the in-memory
// broker, the object server's request handling on the in-memory network, and the same
// DeviceRuntime (boot model, power, faults, the core) on a device host whose timers, MQTT and
// HTTP are events of the scheduler. Nothing runs between the runner's calls: wait_until runs
// the events due until then, so a run takes as long as its events take to compute, and the
// same scenario and seed give the same run, event for event.
#pragma once

#include "fota/sim/stack.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace fota::sim::simulation {
class Scheduler;
class Broker;
class SimCloud;
class SimHttpNetwork;
class SimObjectServer;
class SimControlPlane;
} // namespace fota::sim::simulation

namespace fota::cloud {
class S3Presigner;
} // namespace fota::cloud

namespace fota::sim::stacks {

struct DeviceSlot;

class SimStack final : public Stack {
public:
    explicit SimStack(const StackOptions& options);
    ~SimStack() override;

    std::string name() const override { return "sim"; }
    void start(const std::string& work_dir) override;
    /// Stops the devices (a clean MQTT DISCONNECT each), then forgets the world.
    void stop() override;
    void check_alive() override {}
    /// What the simulation did: events run, virtual time, messages delivered.
    std::string log() const override;
    /// The run's report starts at SimCloud's epoch (2027-01-01T00:00:00Z).
    std::optional<std::chrono::system_clock::time_point> virtual_epoch() const override;

    /// Runs the op on the cloud at once (it is in this thread); what it causes travels through
    /// the broker as events.
    nlohmann::json call(const std::string& op, const nlohmann::json& args,
                        bool allow_error) override;
    /// One after the other, in order: the virtual clock does not move between them.
    std::vector<nlohmann::json> call_many(const std::string& op,
                                          const std::vector<nlohmann::json>& args,
                                          bool allow_error) override;

    void put_object(const std::string& key, const std::string& bytes) override;
    void add_object_fault(const cloud::ObjectFault& fault) override;
    std::string object_endpoint() const override;
    std::string bucket() const override { return "firmware"; }

    bool can_restart_broker() const override { return true; }
    /// The in-memory broker stops (every connection and session lost, the cloud's state kept)
    /// and starts again after down_for of virtual time.
    void restart_broker(std::chrono::milliseconds down_for) override;

    std::unique_ptr<StackDevice> make_device(const StackDevice::Options& options,
                                             StackDevice::EventHandler on_event) override;

    RunTime now() const override;
    /// Runs every event due until `until`; returns early (between two virtual seconds) when the
    /// run is interrupted.
    void wait_until(RunTime until) override;

private:
    simulation::Scheduler& scheduler() const;

    StackOptions options_;
    std::string work_dir_;
    bool stopped_ = false;
    // Declared in the order they depend on each other; destroyed the other way round.
    std::unique_ptr<simulation::Scheduler> scheduler_;
    std::unique_ptr<simulation::Broker> broker_;
    std::unique_ptr<simulation::SimCloud> cloud_;
    std::unique_ptr<cloud::S3Presigner> presigner_;
    std::unique_ptr<simulation::SimHttpNetwork> http_;
    std::unique_ptr<simulation::SimObjectServer> objects_;
    std::unique_ptr<simulation::SimControlPlane> control_plane_;
    std::vector<std::shared_ptr<DeviceSlot>> devices_;
};

} // namespace fota::sim::stacks
