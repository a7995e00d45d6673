// One run of a scenario: makes the stack it asks for, prepares and publishes the firmware, makes
// the things and devices, executes the steps, checks the expectations and fills the report.
// Every world (broker, control plane, object store, devices, clock) is reached through Stack.
//
// The member functions live in run.cpp (the run's course and what steps and expectations
// share), run_steps.cpp (one function per step kind) and run_expectations.cpp (one per
// expectation kind).
#pragma once

#include "event_recorder.hpp"
#include "firmware.hpp"
#include "flash_layout.hpp"

#include "fota/sim/scenario_runner.hpp"
#include "fota/sim/stack.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace fota::sim::runner {

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

class Run {
public:
    Run(const Scenario& scenario, const RunnerOptions& options, ScenarioReport& report);
    ~Run();
    Run(const Run&) = delete;
    Run& operator=(const Run&) = delete;

    /// Runs the scenario; throws (RunError, StackError) when it cannot be run on.
    void execute();
    /// The devices' final state, their timelines and the logs into the report.
    void finish_report();
    /// Stops the stack and removes the run's files. Idempotent.
    void teardown();
    /// Since the run started, on the stack's clock (zero before the stack is made).
    RunTime elapsed() const;

private:
    // ---- the run's course (run.cpp) ----
    void make_and_check_stack();
    void check_supported() const;
    void start_stack();
    void create_devices();
    void check_time();
    void pause();
    StackDevice::Status status_of(const Device& d) const;
    std::vector<const Device*> select(const DeviceSelector& selector) const;
    /// The selected devices that are powered (started).
    std::vector<const Device*> started(const DeviceSelector& selector) const;
    /// The executions of job for devices, in order (null when there is none).
    std::vector<nlohmann::json> executions(const std::string& job,
                                           const std::vector<const Device*>& devices) const;
    Check evaluate(const Condition& c) const;
    void add_result(const std::string& name, bool passed, const std::string& expected,
                    const std::string& observed, int line, RunTime started, bool evaluated = true);

    // ---- steps (run_steps.cpp) ----
    bool run_step(const Step& step);
    bool wait_for(const WaitForStep& wait, const Step& step);
    bool hold(const HoldStep& hold, const Step& step);
    void start_devices(const StartDevicesStep& start);
    void create_job(const CreateJobStep& job);
    void power_cut(const PowerCutStep& cut);
    std::string flash_plan_line(const FlashFaultStep& fault, const Device& device,
                                std::uint64_t device_seed) const;
    void flash_fault(const FlashFaultStep& fault, const Step& step);
    void network_fault(const NetworkFaultStep& fault);
    void http_fault(const HttpFaultStep& fault);
    void cloud_fault(const CloudFaultStep& fault);
    void end_job(const std::string& job, bool force, const std::optional<DeviceSelector>& devices,
                 bool remove);
    void restart_broker(const RestartBrokerStep& restart);

    // ---- expectations (run_expectations.cpp) ----
    void skip_expectations();
    bool check_expectation(const Expectation& e);
    Check observe(const Expectation& e) const;
    void observe_execution_status(const Expectation& e, Check& check, Tally& tally) const;
    void observe_job_status(const Expectation& e, Check& check, Tally& tally) const;
    void observe_running_version(const Expectation& e, Check& check, Tally& tally) const;
    void observe_shadow_version(const Expectation& e, Check& check, Tally& tally) const;
    void observe_slot(const Expectation& e, Check& check, Tally& tally) const;
    void observe_downloads(const Expectation& e, Check& check, Tally& tally) const;
    void observe_no_execution_in_progress(const Expectation& e, Check& check, Tally& tally) const;
    void observe_phases(const Expectation& e, Check& check, Tally& tally) const;
    void observe_boots(const Expectation& e, Check& check, Tally& tally) const;
    void observe_job_updates(const Expectation& e, Check& check, Tally& tally) const;
    std::string read_slot(const Device& d, Slot slot, std::size_t length) const;

    const Scenario& scenario_;
    const RunnerOptions& options_;
    ScenarioReport& report_;
    /// The stack this run uses: the scenario's, or the one RunnerOptions::stack gives.
    StackConfig stack_config_ = options_.stack ? *options_.stack : scenario_.stack;
    std::uint64_t seed_ = options_.seed ? *options_.seed : scenario_.seed;
    EventRecorder recorder_;
    std::string work_dir_;
    FirmwareImages images_;
    std::map<std::string, PublishedFirmware> published_;
    std::vector<std::string> jobs_;
    bool torn_down_ = false;
    std::unique_ptr<Stack> stack_;
    std::vector<Device> devices_;
};

} // namespace fota::sim::runner
