// What a step kind's execution and an expectation kind's check may use of the run they are part
// of (RunContext), and the two tables that dispatch to them. Each kind's code lives beside its
// parser: simulator/scenario/steps/<kind>_run.cpp and expectations/<kind>_check.cpp, compiled into
// this library (the parser's library stays free of the stack). Run (run.hpp) is the real context;
// the kinds' unit tests use a fake one.
#pragma once

#include "event_recorder.hpp"
#include "firmware.hpp"
#include "flash_layout.hpp"

#include "fota/sim/scenario_runner.hpp" // in_range, same_version, ...
#include "fota/sim/stack.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace fota::sim::runner {

/// One device of the run: its thing, its group, its flash and the stack's device.
struct Device {
    std::string thing;
    const DeviceGroup* group = nullptr;
    FlashLayout flash;
    std::unique_ptr<StackDevice> device;
    bool started = false;
};

/// A finished check: passed, or expected vs observed.
struct Check {
    bool passed = false;
    std::string expected;
    std::string observed;
};

/// Collects per-device observations: "thing: value" for those that do not hold (at most a few).
struct Tally {
    std::size_t failing = 0;
    std::string observed;
    std::map<std::string, std::size_t> values;
    void add(const std::string& thing, bool ok, const std::string& value);
    std::string summary() const;
};

class RunContext {
public:
    virtual ~RunContext() = default;

    virtual const Scenario& scenario() const = 0;
    /// The world the run is in. Calls on it change the world, not the run.
    virtual Stack& stack() const = 0;
    /// The run's seed (the scenario's, or the one the options give).
    virtual std::uint64_t seed() const = 0;
    virtual EventRecorder& recorder() = 0;
    virtual const EventRecorder& recorder() const = 0;
    virtual const FirmwareImages& images() const = 0;
    /// Where each firmware is in the object store, by firmware id.
    virtual const std::map<std::string, PublishedFirmware>& published() const = 0;
    /// Every device of the scenario, in the order of its groups.
    virtual const std::vector<Device>& devices() const = 0;
    /// Powers device (one of devices()) on, unless it is already.
    virtual void start_device(const Device& device) = 0;
    /// Throws RunError when the run must end (interrupted, deadline passed, stack down).
    virtual void check_time() = 0;
    /// check_time(), then lets the world run for one polling interval.
    virtual void pause() = 0;
    /// Adds a result (a failed step or an expectation) to the report.
    virtual void add_result(const std::string& name, bool passed, const std::string& expected,
                            const std::string& observed, int line, RunTime started,
                            bool evaluated = true) = 0;
    /// A job the run created (no_execution_in_progress looks at them all).
    virtual void note_job(const std::string& job) = 0;
    virtual const std::vector<std::string>& jobs() const = 0;

    // ---- what kinds share, on top of the above (run_context.cpp) ----
    std::vector<const Device*> select(const DeviceSelector& selector) const;
    /// The selected devices that are powered (started).
    std::vector<const Device*> started(const DeviceSelector& selector) const;
    /// Throws RunError when the device does not answer.
    StackDevice::Status status_of(const Device& device) const;
    /// The executions of job for devices, in order (null when there is none).
    std::vector<nlohmann::json> executions(const std::string& job,
                                           const std::vector<const Device*>& devices) const;
    Check evaluate(const Condition& condition) const;
    /// evaluate(condition).passed, without the report's text: stops at the first device that
    /// fails and starts there at the next call, so that polling a fleet costs the devices that
    /// changed, not the fleet (wait_for and hold poll with it and evaluate once for the report).
    bool holds(const Condition& condition) const;

private:
    /// Per polled condition: the device that failed last (holds()).
    mutable std::map<const Condition*, std::size_t> first_failing_;
};

/// Executes step (its kind's steps/<kind>_run.cpp); false when it failed (a result says why).
/// Throws RunError when the run cannot go on.
bool run_step(RunContext& run, const Step& step);

/// Observes expectation e once (its kind's expectations/<kind>_check.cpp).
Check check_expectation(const RunContext& run, const Expectation& e);

} // namespace fota::sim::runner
