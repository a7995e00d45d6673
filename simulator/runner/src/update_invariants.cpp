// The update invariants (update_invariants.hpp): settling, then one result per invariant.
#include "update_invariants.hpp"

#include "run_error.hpp"

#include <set>

namespace fota::sim::runner {

using json = nlohmann::json;

namespace {

bool pending(const std::string& status) {
    return status == "QUEUED" || status == "IN_PROGRESS";
}

std::string status_of_execution(const json& execution) {
    return execution.is_object() ? execution.value("status", "?") : "";
}

/// The firmware version a job of the run installs; empty when no create_job step made it.
std::string job_version(const Scenario& scenario, const std::string& job) {
    for (const Step& step : scenario.steps) {
        if (const auto* create = std::get_if<CreateJobStep>(&step.action);
            create != nullptr && create->job_id == job) {
            const Firmware* firmware = scenario.find_firmware(create->firmware);
            return firmware != nullptr ? firmware->version : std::string();
        }
    }
    return {};
}

/// The status of d, or nullopt when it does not answer.
std::optional<StackDevice::Status> try_status(const RunContext& run, const Device& d) {
    try {
        return run.status_of(d);
    } catch (const RunError&) {
        return std::nullopt;
    }
}

bool settled(const RunContext& run, const Device& d) {
    const auto status = try_status(run, d);
    if (!status || status->state != "running" || !status->confirmed) {
        return false;
    }
    for (const std::string& job : run.jobs()) {
        if (pending(status_of_execution(run.executions(job, {&d}).front()))) {
            return false;
        }
    }
    return true;
}

} // namespace

bool settle_updates(RunContext& run, std::chrono::milliseconds limit) {
    const RunTime until = run.stack().now() + limit;
    while (true) {
        run.stack().check_alive();
        bool all = true;
        for (const Device* d : run.started(DeviceSelector{})) {
            all = all && settled(run, *d);
        }
        if (all) {
            return true;
        }
        if (run.stack().now() >= until) {
            return false;
        }
        run.stack().wait_for(std::chrono::seconds(1));
    }
}

bool check_update_invariants(RunContext& run, bool settled_in_time, RunTime started) {
    const Scenario& scenario = run.scenario();
    Tally valid;
    Tally confirmed;
    Tally agrees;
    Tally idle;
    for (const Device* d : run.started(DeviceSelector{})) {
        const auto status = try_status(run, *d);
        const std::string running = status ? status->running_version : "?";

        // Boots a valid image: running, and the primary slot holds a scenario image of that
        // version byte for byte.
        std::string held;
        for (const Firmware& f : scenario.firmware) {
            const std::string& image = run.images().bytes.at(f.id);
            if (d->device->read_flash(d->flash.primary_offset, image.size()) == image) {
                held = f.id;
                break;
            }
        }
        const Firmware* in_primary = held.empty() ? nullptr : scenario.find_firmware(held);
        const bool runs = status && status->state == "running";
        const bool valid_ok =
            runs && in_primary != nullptr && same_version(in_primary->version, running);
        valid.add(d->thing, valid_ok,
                  !status ? "does not answer"
                  : !runs ? status->state + (status->state == "bricked" ? "" : " (not running)")
                  : !in_primary ? "running " + running + ", primary slot holds no known image"
                                : "running " + running + ", primary slot holds " + held + " (" +
                                      in_primary->version + ")");

        // Confirmed on the old image or one of its jobs' images.
        std::set<std::string> versions;
        if (const Firmware* initial = scenario.find_firmware(d->group->initial_firmware)) {
            versions.insert(initial->version);
        }
        std::string last_job;
        std::string last_status;
        for (const std::string& job : run.jobs()) {
            const std::string s = status_of_execution(run.executions(job, {d}).front());
            if (s.empty()) {
                continue;
            }
            versions.insert(job_version(scenario, job));
            last_job = job;
            last_status = s;
            idle.add(d->thing + " (" + job + ")", !pending(s), s);
        }
        bool known = false;
        for (const std::string& v : versions) {
            known = known || same_version(v, running);
        }
        const bool confirmed_ok = runs && status->confirmed && known;
        confirmed.add(d->thing, confirmed_ok,
                      running + (status && status->confirmed ? " confirmed" : " unconfirmed") +
                          (known ? "" : " (neither the old image nor a job's)"));

        // The last job agrees with the image.
        if (!last_job.empty()) {
            const std::string version = job_version(scenario, last_job);
            const bool on_job_image = same_version(version, running);
            const bool succeeded = last_status == "SUCCEEDED";
            std::string value = last_job + " " + last_status + ", running " + running;
            bool ok = pending(last_status) || succeeded == on_job_image;
            if (!ok && succeeded && d->group->profile == ProfileName::seed && status &&
                status->reverts > 0 && status->images_rejected == 0) {
                // SUCCEEDED is sent before the new image has booted (FB-10): a cut before its
                // confirmation reverts it under a terminal SUCCEEDED. Not an image the boot
                // loader rejected: that one was never good, and SUCCEEDED was a lie.
                ok = true;
                value = kKnownLimitPrefix + value + " (reverted)";
            } else if (!ok && status && status->images_rejected > 0) {
                value += " (the boot loader rejected the downloaded image)";
            }
            agrees.add(d->thing, ok, value);
        }
    }
    const std::string unsettled =
        settled_in_time ? "" : " (the updates had not settled when the settle time ran out)";
    const auto add = [&](const std::string& name, const std::string& expected, const Tally& t) {
        const bool passed = t.failing == 0;
        run.add_result("invariant: " + name, passed, expected,
                       t.summary() + (passed ? "" : unsettled), 0, started);
        return passed;
    };
    bool all = add("every device boots a valid image",
                   "running, the primary slot holding an image of the version it runs", valid);
    all = add("every device ends confirmed on its old image or a job's",
              "a confirmed image, the one it started with or a job's", confirmed) &&
          all;
    all = add("every job agrees with the image",
              "the last job SUCCEEDED exactly when the device runs its image", agrees) &&
          all;
    all = add("no job is left in progress", "no execution QUEUED or IN_PROGRESS", idle) && all;
    return all;
}

} // namespace fota::sim::runner
