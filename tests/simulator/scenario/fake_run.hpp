// A RunContext without a world, for the unit tests of each step kind's execution and each
// expectation kind's check: a parsed scenario, devices that record what they are asked and answer
// a status the test sets, a stack that records control-plane and object-store calls and answers
// with what the test's reply function gives, and a clock that moves only when the run pauses.
#pragma once

#include "parse_test_support.hpp"

#include "runner/src/run_context.hpp"

#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace fota::sim::test {

/// kMinimal with only steps (steps start at line 9) and an expectation that names no job.
inline std::string with_only_steps(const std::string& steps) {
    const std::string text = with_steps(steps);
    return text.substr(0, text.find("expect:\n")) + "expect:\n  - boots: {count: 1}\n";
}

/// text (kMinimal's form) with a fourth device, off-0, in a group with autostart false.
inline std::string with_off_device(const std::string& text) {
    const std::string group = "  - {thing_prefix: dev-, count: 3, initial_firmware: v1}\n";
    const auto at = text.find(group);
    if (at == std::string::npos) {
        throw std::invalid_argument("with_off_device: no kMinimal device group");
    }
    return text.substr(0, at + group.size()) +
           "  - {thing_prefix: off-, count: 1, initial_firmware: v1, autostart: false}\n" +
           text.substr(at + group.size());
}

/// A device that records each call as a line ("reboot", "cut_power 2000", ...).
class FakeDevice : public StackDevice {
public:
    std::vector<std::string> calls;
    Status answer;           ///< what status() returns
    bool answers = true;     ///< false: status() does not answer
    std::string flash;       ///< read_flash's bytes (erased beyond)
    std::string flash_error; ///< what arm_flash_faults returns

    void start() override { calls.push_back("start"); }
    bool stop() override { return true; }
    std::optional<Status> status() const override {
        return answers ? std::optional<Status>(answer) : std::nullopt;
    }
    std::string read_flash(std::uint64_t offset, std::size_t length) const override {
        std::string bytes(length, '\xFF');
        for (std::size_t i = 0; i < length && offset + i < flash.size(); ++i) {
            bytes[i] = flash[offset + i];
        }
        return bytes;
    }
    void reboot() override { calls.push_back("reboot"); }
    void cut_power(std::chrono::milliseconds off_for) override {
        calls.push_back("cut_power " + std::to_string(off_for.count()));
    }
    void cut_power_during_swap(std::chrono::milliseconds off_for, std::uint64_t seed) override {
        calls.push_back("cut_power_during_swap " + std::to_string(off_for.count()) + " seed " +
                        std::to_string(seed));
    }
    std::string arm_flash_faults(const std::string& plan_line,
                                 std::chrono::milliseconds off_for) override {
        calls.push_back("arm_flash_faults " + plan_line + " " + std::to_string(off_for.count()));
        return flash_error;
    }
    void drop_mqtt() override { calls.push_back("drop_mqtt"); }
    void drop_mqtt_at_download_byte(std::uint64_t bytes) override {
        calls.push_back("drop_mqtt_at_download_byte " + std::to_string(bytes));
    }
    void lose_next_message(const std::string& topic_suffix) override {
        calls.push_back("lose_next_message " + topic_suffix);
    }
    void stall_http_for(std::chrono::milliseconds duration) override {
        calls.push_back("stall_http_for " + std::to_string(duration.count()));
    }
    void stall_http_at_download_byte(std::uint64_t bytes,
                                     std::chrono::milliseconds duration) override {
        calls.push_back("stall_http_at_download_byte " + std::to_string(bytes) + " " +
                        std::to_string(duration.count()));
    }
    void go_offline(std::chrono::milliseconds duration) override {
        calls.push_back("go_offline " + std::to_string(duration.count()));
    }
};

/// One control-plane call: call(op, args), or one of call_many(op, ...)'s argument sets.
struct FakeCall {
    std::string op;
    nlohmann::json args;
};

/// A stack that records its calls; its clock moves only in wait_until.
class FakeStack : public Stack {
public:
    std::vector<FakeCall> calls;
    std::vector<std::pair<std::string, std::size_t>> puts; ///< (key, size)
    std::vector<cloud::ObjectFault> faults;
    std::vector<std::chrono::milliseconds> broker_restarts;
    /// The reply to each call (the default: an empty object).
    std::function<nlohmann::json(const std::string& op, const nlohmann::json& args)> reply =
        [](const std::string&, const nlohmann::json&) { return nlohmann::json::object(); };
    RunTime clock{0};

    std::string name() const override { return "fake"; }
    void start(const std::string&) override {}
    void stop() override {}
    void check_alive() override {}
    std::string log() const override { return {}; }
    nlohmann::json call(const std::string& op, const nlohmann::json& args, bool) override {
        calls.push_back({op, args});
        return reply(op, args);
    }
    std::vector<nlohmann::json> call_many(const std::string& op,
                                          const std::vector<nlohmann::json>& args,
                                          bool allow_error) override {
        std::vector<nlohmann::json> out;
        for (const auto& a : args) {
            out.push_back(call(op, a, allow_error));
        }
        return out;
    }
    void put_object(const std::string& key, const std::string& bytes) override {
        puts.emplace_back(key, bytes.size());
    }
    void add_object_fault(const cloud::ObjectFault& fault) override { faults.push_back(fault); }
    std::string object_endpoint() const override { return "http://objects.test"; }
    std::string bucket() const override { return "fw"; }
    bool can_restart_broker() const override { return true; }
    void restart_broker(std::chrono::milliseconds down_for) override {
        broker_restarts.push_back(down_for);
    }
    std::unique_ptr<StackDevice> make_device(const StackDevice::Options&,
                                             StackDevice::EventHandler) override {
        throw StackError("FakeStack makes no devices");
    }
    RunTime now() const override { return clock; }
    void wait_until(RunTime until) override { clock = std::max(clock, until); }
};

/// A result the run added (a failed step or an expectation).
struct FakeResult {
    std::string name;
    bool passed = false;
    std::string expected;
    std::string observed;
    int line = 0;
};

/// The run of a scenario text (parse_test_support's helpers write it) on FakeStack and
/// FakeDevices: each firmware's image is its id's first letter repeated to its size, published
/// at http://objects.test/fw/<id>.bin.
class FakeRun : public runner::RunContext {
public:
    explicit FakeRun(const std::string& scenario_text, std::uint64_t seed = 3) : seed_(seed) {
        ParseResult parsed = parse_scenario(scenario_text, "t.yaml");
        if (!parsed.ok()) {
            throw std::invalid_argument("FakeRun: " + first_error(parsed));
        }
        scenario_ = std::move(*parsed.scenario);
        for (const Firmware& f : scenario_.firmware) {
            images_.bytes[f.id] = std::string(f.size, f.id[0]);
            PublishedFirmware p;
            p.protocol = "http";
            p.host = "objects.test";
            p.path = "fw/" + f.id + ".bin";
            p.url = "http://objects.test/" + p.path;
            published_[f.id] = p;
        }
        for (const DeviceGroup& group : scenario_.devices) {
            for (std::uint32_t i = 0; i < group.count; ++i) {
                runner::Device d;
                d.thing = group.thing_prefix + std::to_string(i);
                d.group = &group;
                d.flash = runner::flash_layout(group.flash);
                auto device = std::make_unique<FakeDevice>();
                device->answer.running_version =
                    scenario_.find_firmware(group.initial_firmware)->version;
                fakes_.push_back(device.get());
                d.device = std::move(device);
                d.started = group.autostart;
                recorder_.add_thing(d.thing);
                devices_.push_back(std::move(d));
            }
        }
    }

    FakeRun(const FakeRun&) = delete;
    FakeRun& operator=(const FakeRun&) = delete;

    std::vector<FakeResult> results;
    std::size_t pauses = 0;

    FakeDevice& device(std::size_t index) { return *fakes_.at(index); }
    FakeStack& fake_stack() { return *stack_; }
    /// The run's steps through the runner's table; false at the first that fails.
    bool run_steps() {
        for (const Step& step : scenario_.steps) {
            if (!runner::run_step(*this, step)) {
                return false;
            }
        }
        return true;
    }
    /// The scenario's expectation index, observed once through the runner's table.
    runner::Check check(std::size_t index = 0) const {
        return runner::check_expectation(*this, scenario_.expectations.at(index));
    }
    /// An event of thing's device now (phases, downloads, job updates).
    std::optional<StackDevice::PowerCut> event(const std::string& thing, std::string_view name,
                                               std::string_view detail = "") {
        return recorder_.event(thing, name, detail, stack_->clock);
    }

    // ---- RunContext ----
    const Scenario& scenario() const override { return scenario_; }
    Stack& stack() const override { return *stack_; }
    std::uint64_t seed() const override { return seed_; }
    runner::EventRecorder& recorder() override { return recorder_; }
    const runner::EventRecorder& recorder() const override { return recorder_; }
    const runner::FirmwareImages& images() const override { return images_; }
    const std::map<std::string, PublishedFirmware>& published() const override {
        return published_;
    }
    const std::vector<runner::Device>& devices() const override { return devices_; }
    void start_device(const runner::Device& device) override {
        for (runner::Device& d : devices_) {
            if (&d == &device && !d.started) {
                d.device->start();
                d.started = true;
            }
        }
    }
    void check_time() override {}
    void pause() override {
        ++pauses;
        stack_->wait_for(std::chrono::milliseconds(100));
    }
    void add_result(const std::string& name, bool passed, const std::string& expected,
                    const std::string& observed, int line, RunTime, bool) override {
        results.push_back({name, passed, expected, observed, line});
    }
    void note_job(const std::string& job) override { jobs_.push_back(job); }
    const std::vector<std::string>& jobs() const override { return jobs_; }

private:
    std::unique_ptr<FakeStack> stack_ = std::make_unique<FakeStack>();
    Scenario scenario_;
    std::uint64_t seed_;
    runner::EventRecorder recorder_;
    runner::FirmwareImages images_;
    std::map<std::string, PublishedFirmware> published_;
    std::vector<runner::Device> devices_;
    std::vector<FakeDevice*> fakes_;
    std::vector<std::string> jobs_;
};

} // namespace fota::sim::test
