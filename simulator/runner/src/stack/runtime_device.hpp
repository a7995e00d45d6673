// A StackDevice over a DeviceRuntime, shared by every stack whose devices run the device runtime
// (embedded and url in real time, sim on the virtual clock): the runtime's options from the
// scenario's, the event hook that lets the runner cut the power at an event, and the faults.
#pragma once

#include "fota/sim/stack.hpp"

#include <cstdint>
#include <memory>
#include <string>

namespace fota::sim {
class DeviceRuntime;
struct DeviceOptions;
} // namespace fota::sim

namespace fota::sim::stacks {

/// Where a stack's devices find the broker and the shadow service.
struct DeviceEndpoints {
    std::string mqtt_host;
    std::uint16_t mqtt_port = 0;
    std::string shadow_base_url; ///< the control plane's "http://host:port"
};

/// One device: its runtime until the stack ends it, and whether it was started.
struct DeviceSlot {
    std::unique_ptr<DeviceRuntime> runtime;
    StackDevice::EventHandler on_event;
    std::string flash_file; ///< empty: the flash is in the runtime's memory
    bool started = false;
};

/// How the runner's thread reaches a device's runtime for what needs an answer (stop, status,
/// arming a fault): `posted` to the device's context and waited for (real time: other threads
/// run the device), or `direct` (a one-thread stack, where nothing runs between the runner's
/// calls). What needs no answer is always posted.
enum class DeviceAccess : std::uint8_t { posted, direct };

/// The runtime's options for a scenario device whose flash is the file flash_file (empty: in
/// memory).
DeviceOptions device_options(const StackDevice::Options& options, const DeviceEndpoints& endpoints,
                             const std::string& flash_file);

/// A slot for runtime, whose events reach on_event (and power cuts asked for by it, the runtime).
std::shared_ptr<DeviceSlot> make_device_slot(std::unique_ptr<DeviceRuntime> runtime,
                                             StackDevice::EventHandler on_event,
                                             std::string flash_file);

/// The runner's handle of the device in slot.
std::unique_ptr<StackDevice> make_runtime_device(std::shared_ptr<DeviceSlot> slot,
                                                 DeviceAccess access);

/// Ends the device: its runtime goes (call while nothing runs it).
void end_device(DeviceSlot& slot);

} // namespace fota::sim::stacks
