// One run of a scenario: makes the stack it asks for, prepares and publishes the firmware, makes
// the things and devices, executes the steps, checks the expectations and fills the report.
// Every world (broker, control plane, object store, devices, clock) is reached through Stack.
//
// Steps and expectations reach the run through RunContext (run_context.hpp); each kind's
// execution or check lives beside its parser (simulator/scenario/steps/<kind>_run.cpp,
// expectations/<kind>_check.cpp).
#pragma once

#include "run_context.hpp"

#include "fota/sim/scenario_runner.hpp"
#include "fota/sim/stack.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace fota::sim::runner {

class Run : public RunContext {
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
    /// The stack's stop_log() once torn down (empty before).
    std::string stop_log() const {
        return torn_down_ && stack_ ? stack_->stop_log() : std::string();
    }
    /// Since the run started, on the stack's clock (zero before the stack is made).
    RunTime elapsed() const;

    // ---- RunContext ----
    const Scenario& scenario() const override { return scenario_; }
    Stack& stack() const override { return *stack_; }
    std::uint64_t seed() const override { return seed_; }
    EventRecorder& recorder() override { return recorder_; }
    const EventRecorder& recorder() const override { return recorder_; }
    const FirmwareImages& images() const override { return images_; }
    const std::map<std::string, PublishedFirmware>& published() const override {
        return published_;
    }
    const std::vector<Device>& devices() const override { return devices_; }
    void start_device(const Device& device) override;
    void check_time() override;
    void pause() override;
    void add_result(const std::string& name, bool passed, const std::string& expected,
                    const std::string& observed, int line, RunTime started,
                    bool evaluated = true) override;
    void note_job(const std::string& job) override { jobs_.push_back(job); }
    const std::vector<std::string>& jobs() const override { return jobs_; }

private:
    void make_and_check_stack();
    void check_supported() const;
    void start_stack();
    void create_devices();
    void skip_expectations();
    /// Polls e until it holds or its time is up, and adds its result.
    bool check(const Expectation& e);

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
    /// The device RunnerOptions::flash_cut cuts (the scenario's first when it names none).
    std::string cut_thing_;
    bool torn_down_ = false;
    std::unique_ptr<Stack> stack_;
    std::vector<Device> devices_;
};

} // namespace fota::sim::runner
