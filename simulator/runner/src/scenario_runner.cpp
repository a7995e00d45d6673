// The scenario runner's entry points (run_scenario, run_scenario_file) and its pure helpers:
// which phases a device event stands for, job updates, count ranges, statusDetails, versions.
// The run itself is runner::Run (run.hpp); the worlds it runs in are Stacks (stack.hpp).
#include "fota/sim/scenario_runner.hpp"

#include "run.hpp"

#include "scenario/scenario_parser.hpp"

#include <algorithm>
#include <filesystem>

namespace fota::sim {

using json = nlohmann::json;

// ---- pure helpers ---------------------------------------------------------------------------

std::vector<DevicePhase> phases_of_event(std::string_view event) {
    using P = DevicePhase;
    if (event == "boot") {
        return {P::booted};
    }
    if (event == "shadow_reported") {
        return {P::shadow_reported};
    }
    if (event == "mqtt_connected") {
        return {P::connected};
    }
    if (event == "job_taken") {
        // The core publishes IN_PROGRESS (download_firmware) as soon as it has taken the job.
        return {P::job_received, P::in_progress_sent};
    }
    if (event == "download_first_byte") {
        // The runtime's: the first body byte of the image arrived in this boot.
        return {P::downloading};
    }
    if (event == "download_complete") {
        // Followed at once by the IN_PROGRESS (apply_firmware) update.
        return {P::download_complete, P::apply_sent};
    }
    if (event == "rebooting") {
        // Logged once the boot loader accepted the upgrade request.
        return {P::image_scheduled, P::rebooting};
    }
    if (event == "swapping") {
        return {P::swapping};
    }
    if (event == "image_confirmed") {
        return {P::confirmed};
    }
    if (event == "update_failed" || event == "rollback_after_success") {
        return {P::rolled_back};
    }
    if (event == "job_abandoned") {
        return {P::job_abandoned};
    }
    return {};
}

PublishedUpdate parse_job_update(std::string_view detail) {
    const auto space = detail.find(' ');
    const std::string_view topic = detail.substr(0, space);
    constexpr std::string_view kJobs = "/jobs/";
    constexpr std::string_view kSuffix = "/update";
    const auto jobs = topic.find(kJobs);
    if (space == std::string_view::npos || jobs == std::string_view::npos ||
        topic.size() < jobs + kJobs.size() + kSuffix.size() + 1 ||
        topic.substr(topic.size() - kSuffix.size()) != kSuffix) {
        return {};
    }
    const auto job_start = jobs + kJobs.size();
    PublishedUpdate update;
    update.job = std::string(topic.substr(job_start, topic.size() - kSuffix.size() - job_start));
    if (update.job.find('/') != std::string::npos) {
        return {}; // not $aws/things/<thing>/jobs/<job>/update
    }
    const json payload = json::parse(detail.substr(space + 1), nullptr, false);
    update.status =
        payload.is_object() && payload.contains("status") && payload["status"].is_string()
            ? payload["status"].get<std::string>()
            : std::string("?");
    return update;
}

bool in_range(const CountRange& range, std::uint64_t value) {
    return (!range.min || value >= *range.min) && (!range.max || value <= *range.max);
}

std::string describe_range(const CountRange& range) {
    if (range.min && range.max) {
        return *range.min == *range.max
                   ? std::to_string(*range.min)
                   : std::to_string(*range.min) + ".." + std::to_string(*range.max);
    }
    if (range.min) {
        return ">= " + std::to_string(*range.min);
    }
    if (range.max) {
        return "<= " + std::to_string(*range.max);
    }
    return "any";
}

bool status_details_match(const json& wanted, const json& status_details) {
    // DescribeJobExecution nests the fields under detailsMap; the MQTT API does not.
    const json& details = status_details.is_object() && status_details.contains("detailsMap")
                              ? status_details["detailsMap"]
                              : status_details;
    if (!wanted.is_object()) {
        return wanted == details;
    }
    if (!details.is_object()) {
        return wanted.empty();
    }
    for (const auto& [key, value] : wanted.items()) {
        const auto found = details.find(key);
        if (found == details.end()) {
            return false;
        }
        if (value.is_string() && value.get<std::string>() == "*") {
            continue;
        }
        if (*found != value) {
            return false;
        }
    }
    return true;
}

namespace {

std::string normal_version(std::string v) {
    if (!v.empty() && (v[0] == 'v' || v[0] == 'V')) {
        v.erase(0, 1);
    }
    if (v.size() > 2 && v.compare(v.size() - 2, 2, "+0") == 0) {
        v.resize(v.size() - 2);
    }
    return v;
}

} // namespace

bool same_version(const std::string& a, const std::string& b) {
    return normal_version(a) == normal_version(b);
}

std::string parse_cut_at(std::string_view text, FlashCut& cut) {
    const auto colon = text.find(':');
    const std::string_view number = text.substr(0, colon);
    const std::string_view mode =
        colon == std::string_view::npos ? std::string_view("before") : text.substr(colon + 1);
    if (number.empty() || number.size() > 12 ||
        number.find_first_not_of("0123456789") != std::string_view::npos) {
        return "must be OPERATION[:before|:torn] with OPERATION a number from 1 (e.g. 412:torn)";
    }
    const std::uint64_t operation = std::stoull(std::string(number));
    if (operation == 0) {
        return "operations count from 1";
    }
    if (mode != "before" && mode != "torn") {
        return "the cut is 'before' the operation or 'torn' in its middle, not '" +
               std::string(mode) + "'";
    }
    cut.operation = operation;
    cut.torn = mode == "torn";
    return {};
}

std::string to_string(const FlashCut& cut) {
    return std::to_string(cut.operation) + (cut.torn ? ":torn" : ":before");
}

std::string cut_device(const Scenario& scenario, const std::string& thing) {
    return thing.empty() && !scenario.devices.empty() ? scenario.devices.front().thing_prefix + "0"
                                                      : thing;
}

std::string flash_cut_problem(const Scenario& scenario, const std::string& thing) {
    const auto things = scenario.thing_names(DeviceSelector{});
    if (std::find(things.begin(), things.end(), thing) == things.end()) {
        return scenario.file + ": the scenario has no device '" + thing + "' to cut";
    }
    for (const Step& step : scenario.steps) {
        const DeviceSelector* devices = nullptr;
        if (const auto* flash = std::get_if<FlashFaultStep>(&step.action)) {
            devices = &flash->devices;
        } else if (const auto* cut = std::get_if<PowerCutStep>(&step.action);
                   cut != nullptr && cut->at_phase == DevicePhase::swapping) {
            devices = &cut->devices;
        }
        const auto selected =
            devices != nullptr ? scenario.thing_names(*devices) : std::vector<std::string>{};
        if (std::find(selected.begin(), selected.end(), thing) != selected.end()) {
            return scenario.file + ":" + std::to_string(step.mark.line) +
                   ": this step arms a flash fault plan on " + thing +
                   ", which the cut's plan would replace (a flash holds one plan): cut another "
                   "device, or remove the step";
        }
    }
    return {};
}

ScenarioReport run_scenario(const Scenario& scenario, const RunnerOptions& options) {
    ScenarioReport report;
    report.name = scenario.name;
    report.file = scenario.file;
    report.description = scenario.description;
    report.seed = options.seed ? *options.seed : scenario.seed;
    if (options.stack) {
        report.run_options = stack_run_options(*options.stack);
    }
    if (options.flash_cut) {
        report.run_options.emplace_back("--cut-at", to_string(*options.flash_cut));
        if (!options.flash_cut->thing.empty()) {
            report.run_options.emplace_back("--cut-device", options.flash_cut->thing);
        }
        if (options.flash_cut->off_for != FlashCut{}.off_for) {
            report.run_options.emplace_back(
                "--cut-off-for", std::to_string(options.flash_cut->off_for.count()) + "ms");
        }
    } else if (options.update_invariants) {
        report.run_options.emplace_back("--invariants", "");
    }
    if ((options.flash_cut || options.update_invariants) &&
        options.settle != RunnerOptions{}.settle) {
        report.run_options.emplace_back("--settle", std::to_string(options.settle.count()) + "ms");
    }
    report.started_at = std::chrono::system_clock::now();
    {
        runner::Run run(scenario, options, report);
        try {
            run.execute();
        } catch (const std::exception& e) {
            report.outcome = Outcome::error;
            report.error = e.what();
        }
        try {
            run.finish_report();
        } catch (const std::exception& e) {
            report.log += std::string("report: ") + e.what() + "\n";
        }
        run.teardown();
        report.log += run.stop_log();
        report.seconds = std::chrono::duration<double>(run.elapsed()).count();
    }
    return report;
}

ScenarioReport run_scenario_file(const std::string& path, const RunnerOptions& options) {
    const ParseResult parsed = parse_scenario_file(path);
    if (!parsed.ok()) {
        ScenarioReport report;
        report.name = std::filesystem::path(path).stem().string();
        report.file = path;
        report.seed = options.seed.value_or(0);
        report.started_at = std::chrono::system_clock::now();
        report.outcome = Outcome::error;
        for (const Diagnostic& d : parsed.errors) {
            report.error += (report.error.empty() ? "" : "\n") + d.to_string();
        }
        return report;
    }
    return run_scenario(*parsed.scenario, options);
}

} // namespace fota::sim
