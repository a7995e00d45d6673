// The run's course (stack, firmware, devices, steps, expectations, report) and what it gives
// steps and expectations as their RunContext.
#include "run.hpp"

#include "run_error.hpp"
#include "update_invariants.hpp"

#include <cstdlib>
#include <filesystem>

namespace fota::sim::runner {

using json = nlohmann::json;
using std::chrono::milliseconds;

Run::Run(const Scenario& scenario, const RunnerOptions& options, ScenarioReport& report)
    : scenario_(scenario), options_(options), report_(report) {
    if (options_.flash_cut) {
        cut_thing_ = cut_device(scenario_, options_.flash_cut->thing);
    }
}

Run::~Run() {
    teardown();
}

void Run::execute() {
    make_and_check_stack();
    check_supported();
    char pattern[] = "/tmp/fota-run-XXXXXX";
    if (mkdtemp(pattern) == nullptr) {
        throw RunError("cannot create a temporary folder");
    }
    work_dir_ = pattern;
    images_ = prepare_firmware(scenario_, seed_, work_dir_);
    start_stack();
    published_ = publish_firmware(scenario_, images_, *stack_);
    create_devices();
    bool all = true;
    for (const Step& step : scenario_.steps) {
        if (!run_step(*this, step)) {
            skip_expectations();
            all = false;
            break;
        }
    }
    if (all) {
        for (const Expectation& e : scenario_.expectations) {
            all = check(e) && all;
        }
    }
    if (options_.update_invariants || options_.flash_cut || scenario_.invariants) {
        // After a failed step too: what a power cut must never break is checked either way.
        const RunTime started = stack_->now();
        const bool settled = settle_updates(*this, options_.settle);
        all = check_update_invariants(*this, settled, started) && all;
    }
    report_.outcome = all ? Outcome::passed : Outcome::failed;
}

void Run::finish_report() {
    for (const Device& d : devices_) {
        DeviceReport device;
        device.thing = d.thing;
        if (d.started) {
            try {
                const StackDevice::Status s = status_of(d);
                device.running_version = s.running_version;
                device.confirmed = s.confirmed;
                device.boots = s.boots;
                device.flash_operations = s.flash_operations;
            } catch (const RunError&) {
                device.running_version = "?";
            }
        }
        device.phases = recorder_.phases(d.thing);
        report_.devices.push_back(std::move(device));
    }
    report_.log = recorder_.log();
    if (stack_) {
        report_.log += stack_->log();
    }
}

void Run::teardown() {
    if (torn_down_) {
        return;
    }
    torn_down_ = true;
    if (stack_) {
        stack_->stop(); // the devices too
    }
    devices_.clear();
    record_device_log(nullptr, false);
    if (!work_dir_.empty()) {
        std::error_code ec;
        std::filesystem::remove_all(work_dir_, ec);
    }
}

RunTime Run::elapsed() const {
    return stack_ ? stack_->now() : RunTime::zero();
}

void Run::make_and_check_stack() {
    StackOptions options;
    options.plugin = options_.plugin;
    options.mosquitto = options_.mosquitto;
    options.broker_environment = options_.broker_environment;
    options.threads = options_.threads;
    options.mqtt_client = options_.mqtt_client;
    options.interrupted = options_.interrupted;
    options.seed = seed_;
    try {
        stack_ = make_stack(stack_config_, options);
        if (const auto epoch = stack_->virtual_epoch()) {
            report_.started_at = *epoch;
        }
        stack_->check(scenario_);
    } catch (const StackUnsupported& e) {
        SourceMark mark;
        mark.line = e.line;
        unsupported(scenario_, mark, e.what());
    } catch (const StackConfigError& e) {
        throw RunError(scenario_.file + ": " + e.what());
    }
}

// What the stack does not decide: the images must fit the slots, some flash faults cannot be
// limited to a partition yet.
void Run::check_supported() const {
    for (const DeviceGroup& g : scenario_.devices) {
        // Each image must fit a slot less its trailer page and the page swap-move needs.
        const FlashLayout layout = flash_layout(g.flash);
        const std::uint64_t usable =
            layout.slot_size > 2 * layout.page_size ? layout.slot_size - 2 * layout.page_size : 0;
        for (const Firmware& f : scenario_.firmware) {
            if (f.size > usable) {
                throw RunError(where(scenario_, g.mark) + ": firmware '" + f.id + "' (" +
                               std::to_string(f.size) + " bytes) does not fit the slots of " +
                               "devices " + g.thing_prefix + "* (" + std::to_string(usable) +
                               " bytes usable of " + std::to_string(layout.slot_size) +
                               "-byte slots)");
            }
        }
    }
    if (options_.flash_cut) {
        if (const std::string problem = flash_cut_problem(scenario_, cut_thing_);
            !problem.empty()) {
            throw RunError(problem);
        }
    }
    for (const Step& step : scenario_.steps) {
        if (const auto* flash = std::get_if<FlashFaultStep>(&step.action)) {
            using K = FlashFaultStep::Kind;
            if ((flash->kind == K::bit_flips || flash->kind == K::wear_out) &&
                flash->partition != FlashFaultStep::Partition::any) {
                unsupported(scenario_, step.mark,
                            "flash_fault bit_flips or wear_out limited to a partition");
            }
        }
    }
}

void Run::start_stack() {
    record_device_log(&recorder_, options_.verbose);
    stack_->start(work_dir_);
    std::vector<std::string> jobs;
    for (const Step& step : scenario_.steps) {
        if (const auto* job = std::get_if<CreateJobStep>(&step.action)) {
            jobs.push_back(job->job_id);
        }
    }
    stack_->remove_leftovers(jobs, scenario_.thing_names(DeviceSelector{}));
}

void Run::create_devices() {
    // The things first: a stack may give a device credentials of its thing (stack aws: the
    // certificate CreateKeysAndCertificate made for it) when the device is made.
    std::vector<json> things;
    for (const std::string& thing : scenario_.thing_names(DeviceSelector{})) {
        things.push_back({{"thingName", thing}});
    }
    stack_->call_many("create_thing", things);
    std::size_t index = 0;
    for (const DeviceGroup& group : scenario_.devices) {
        const FlashLayout layout = flash_layout(group.flash);
        for (std::uint32_t i = 0; i < group.count; ++i, ++index) {
            Device d;
            d.thing = group.thing_prefix + std::to_string(i);
            d.group = &group;
            d.flash = layout;
            recorder_.add_thing(d.thing);
            StackDevice::Options o;
            o.thing = d.thing;
            o.flash_geometry = layout.geometry;
            o.flash_layout = layout.layout;
            o.image_file = images_.files.at(group.initial_firmware);
            o.verified = group.profile == ProfileName::verified;
            o.clean_session = group.clean_session;
            o.seed = seed_ * 1'000'003u + index;
            if (!options_.record_dir.empty()) {
                o.record_file = options_.record_dir + "/" + d.thing + ".jsonl";
            }
            if (options_.flash_cut && d.thing == cut_thing_) {
                const FlashCut& cut = *options_.flash_cut;
                o.first_power_on_faults =
                    "cut@" + std::to_string(cut.operation) +
                    // The torn seed a flash_fault step on this one device would use, so that
                    // `flash_fault: {kind: power_cut, devices: T, at_op: N-1, torn: true}` as
                    // the first step is the same run (fota-sim shrink writes it so).
                    (cut.torn ? ":torn:seed=" + std::to_string(seed_ * 104'729u + 1) : ":before");
                o.first_power_on_off_for = cut.off_for;
            }
            d.device = stack_->make_device(
                o, [this, thing = d.thing](std::string_view name, std::string_view detail) {
                    return recorder_.event(thing, name, detail, stack_->now());
                });
            devices_.push_back(std::move(d));
        }
    }
    if (devices_.empty()) {
        throw RunError(scenario_.file + ": the scenario has no devices");
    }
    for (Device& d : devices_) {
        if (d.group->autostart) {
            d.device->start();
            d.started = true;
        }
    }
}

void Run::check_time() {
    if (options_.interrupted != nullptr && options_.interrupted->load()) {
        throw RunError("interrupted");
    }
    if (stack_->now() > scenario_.deadline) {
        throw RunError(scenario_.file + ": the scenario's deadline (" +
                       std::to_string(scenario_.deadline.count() / 1000) + " s) passed");
    }
    stack_->check_alive();
}

void Run::pause() {
    check_time();
    stack_->wait_for(milliseconds(100)); // polling interval, not a verdict
}

void Run::start_device(const Device& device) {
    for (Device& d : devices_) {
        if (&d == &device && !d.started) {
            d.device->start();
            d.started = true;
        }
    }
}

void Run::skip_expectations() {
    for (const Expectation& e : scenario_.expectations) {
        add_result(describe(e), false, "", "not checked: a step failed", e.mark.line, stack_->now(),
                   false);
    }
}

bool Run::check(const Expectation& e) {
    const RunTime started = stack_->now();
    const RunTime until = started + e.within;
    Check check;
    while (true) {
        check_time();
        check = check_expectation(*this, e);
        if (check.passed || stack_->now() >= until) {
            break;
        }
        pause();
    }
    add_result(describe(e), check.passed, check.expected, check.observed, e.mark.line, started);
    return check.passed;
}

void Run::add_result(const std::string& name, bool passed, const std::string& expected,
                     const std::string& observed, int line, RunTime started, bool evaluated) {
    ExpectationResult r;
    r.name = name;
    r.passed = passed;
    r.evaluated = evaluated;
    r.expected = expected;
    r.observed = observed;
    r.line = line;
    r.seconds = std::chrono::duration<double>(stack_->now() - started).count();
    report_.expectations.push_back(std::move(r));
}

} // namespace fota::sim::runner
