// The expectations of a scenario: one function of Run per expectation kind (see run.hpp).
#include "run.hpp"

#include <fota/profile.hpp>

#include <algorithm>

namespace fota::sim::runner {

using json = nlohmann::json;

namespace {

/// The key under state.reported the group's profile reports the running version with.
std::string shadow_version_key(ProfileName profile) {
    return std::string(profile == ProfileName::verified
                           ? fota::verified_profile().shadow_version_key
                           : fota::default_profile().shadow_version_key);
}

} // namespace

void Run::skip_expectations() {
    for (const Expectation& e : scenario_.expectations) {
        add_result(describe(e), false, "", "not checked: a step failed", e.mark.line, stack_->now(),
                   false);
    }
}

bool Run::check_expectation(const Expectation& e) {
    const RunTime started = stack_->now();
    const RunTime until = started + e.within;
    Check check;
    while (true) {
        check_time();
        check = observe(e);
        if (check.passed || stack_->now() >= until) {
            break;
        }
        pause();
    }
    add_result(describe(e), check.passed, check.expected, check.observed, e.mark.line, started);
    return check.passed;
}

std::string Run::read_slot(const Device& d, Slot slot, std::size_t length) const {
    const std::uint64_t offset =
        slot == Slot::primary ? d.flash.primary_offset : d.flash.secondary_offset;
    return d.device->read_flash(offset, length);
}

Check Run::observe(const Expectation& e) const {
    Check check;
    Tally tally;
    using K = Expectation::Kind;
    switch (e.kind) {
    case K::execution_status:
        observe_execution_status(e, check, tally);
        break;
    case K::job_status:
        observe_job_status(e, check, tally);
        break;
    case K::running_version:
        observe_running_version(e, check, tally);
        break;
    case K::shadow_version:
        observe_shadow_version(e, check, tally);
        break;
    case K::slot:
        observe_slot(e, check, tally);
        break;
    case K::downloads:
        observe_downloads(e, check, tally);
        break;
    case K::no_execution_in_progress:
        observe_no_execution_in_progress(e, check, tally);
        break;
    case K::phases:
        observe_phases(e, check, tally);
        break;
    case K::boots:
        observe_boots(e, check, tally);
        break;
    case K::job_updates:
        observe_job_updates(e, check, tally);
        break;
    }
    check.passed = tally.failing == 0;
    check.observed = tally.summary();
    return check;
}

void Run::observe_execution_status(const Expectation& e, Check& check, Tally& tally) const {
    check.expected = "execution of " + e.job + " " + to_string(e.execution_status);
    if (e.status_details) {
        check.expected += " with statusDetails " + e.status_details->dump();
    }
    const auto selected = select(e.devices);
    const auto found = executions(e.job, selected);
    for (std::size_t i = 0; i < selected.size(); ++i) {
        const Device* d = selected[i];
        const json& x = found[i];
        const std::string status = x.is_object() ? x.value("status", "?") : "none";
        bool ok = status == to_string(e.execution_status);
        std::string value = status;
        if (e.status_details) {
            const json details =
                x.is_object() ? x.value("statusDetails", json::object()) : json::object();
            ok = ok && status_details_match(*e.status_details, details);
            value += " " + details.dump();
        }
        tally.add(d->thing, ok, value);
    }
}

void Run::observe_job_status(const Expectation& e, Check& check, Tally& tally) const {
    check.expected = "job " + e.job + " " + to_string(e.job_status);
    const json reply = stack_->call("describe_job", {{"jobId", e.job}}, true);
    const std::string status = reply.contains("job") ? reply["job"].value("status", "?") : "none";
    tally.add("job " + e.job, status == to_string(e.job_status), status);
}

void Run::observe_running_version(const Expectation& e, Check& check, Tally& tally) const {
    check.expected = "running " + e.version;
    if (e.confirmed) {
        check.expected += *e.confirmed ? " (confirmed)" : " (not confirmed)";
    }
    for (const Device* d : select(e.devices)) {
        if (!d->started) {
            tally.add(d->thing, false, "off");
            continue;
        }
        const StackDevice::Status s = status_of(*d);
        const bool ok = same_version(s.running_version, e.version) &&
                        (!e.confirmed || s.confirmed == *e.confirmed);
        tally.add(d->thing, ok,
                  s.running_version + (s.confirmed ? " (confirmed)" : " (not confirmed)"));
    }
}

void Run::observe_shadow_version(const Expectation& e, Check& check, Tally& tally) const {
    check.expected = "shadow reports " + e.version;
    const auto selected = select(e.devices);
    std::vector<json> args;
    for (const Device* d : selected) {
        args.push_back({{"thingName", d->thing}});
    }
    const auto shadows = stack_->call_many("get_thing_shadow", args, true);
    for (std::size_t i = 0; i < selected.size(); ++i) {
        const Device* d = selected[i];
        const json& shadow = shadows[i];
        std::string value = "no shadow";
        const std::string key = shadow_version_key(d->group->profile);
        if (shadow.contains("state") && shadow["state"].contains("reported") &&
            shadow["state"]["reported"].contains(key)) {
            const json& v = shadow["state"]["reported"][key];
            value = v.is_string() ? v.get<std::string>() : v.dump();
        }
        tally.add(d->thing, same_version(value, e.version), value);
    }
}

void Run::observe_slot(const Expectation& e, Check& check, Tally& tally) const {
    const char* slot_name = e.slot == Slot::primary ? "primary" : "secondary";
    check.expected = std::string(slot_name) + " slot holds " +
                     (e.slot_erased ? std::string("nothing (erased)") : e.slot_firmware);
    for (const Device* d : select(e.devices)) {
        std::string value;
        bool ok = false;
        if (e.slot_erased) {
            const std::string bytes = read_slot(*d, e.slot, d->flash.slot_size);
            const unsigned char erased = d->flash.erased_value;
            ok = !bytes.empty() && std::all_of(bytes.begin(), bytes.end(), [erased](char c) {
                return static_cast<unsigned char>(c) == erased;
            });
            value = ok ? "erased" : "not erased";
        } else {
            const std::string& image = images_.bytes.at(e.slot_firmware);
            ok = read_slot(*d, e.slot, image.size()) == image;
            value = ok ? e.slot_firmware : "not " + e.slot_firmware;
            for (const auto& [id, other] : images_.bytes) {
                if (!ok && read_slot(*d, e.slot, other.size()) == other) {
                    value = id;
                }
            }
        }
        tally.add(d->thing, ok, value);
    }
}

void Run::observe_downloads(const Expectation& e, Check& check, Tally& tally) const {
    check.expected = "download attempts " + describe_range(e.download_attempts) +
                     ", range requests " + describe_range(e.range_requests) + ", bytes " +
                     describe_range(e.bytes);
    for (const Device* d : select(e.devices)) {
        const std::uint64_t attempts = recorder_.download_attempts(d->thing);
        const StackDevice::Status s = d->started ? status_of(*d) : StackDevice::Status{};
        const bool ok = in_range(e.download_attempts, attempts) &&
                        in_range(e.range_requests, s.http_requests) &&
                        in_range(e.bytes, s.download_bytes);
        tally.add(d->thing, ok,
                  "attempts " + std::to_string(attempts) + ", range requests " +
                      std::to_string(s.http_requests) + ", bytes " +
                      std::to_string(s.download_bytes));
    }
}

void Run::observe_no_execution_in_progress(const Expectation& e, Check& check, Tally& tally) const {
    check.expected = "no execution IN_PROGRESS";
    const std::vector<std::string> jobs = e.job.empty() ? jobs_ : std::vector<std::string>{e.job};
    const auto all = select(DeviceSelector{});
    for (const std::string& job : jobs) {
        const auto found = executions(job, all);
        for (std::size_t i = 0; i < all.size(); ++i) {
            const json& x = found[i];
            const std::string status = x.is_object() ? x.value("status", "?") : "none";
            tally.add(all[i]->thing + " (" + job + ")", status != "IN_PROGRESS", status);
        }
    }
}

void Run::observe_phases(const Expectation& e, Check& check, Tally& tally) const {
    check.expected = "phases reached:";
    for (const auto p : e.reached) {
        check.expected += std::string(" ") + to_string(p);
    }
    check.expected += "; not reached:";
    for (const auto p : e.not_reached) {
        check.expected += std::string(" ") + to_string(p);
    }
    for (const Device* d : select(e.devices)) {
        std::string wrong;
        for (const auto p : e.reached) {
            if (!recorder_.reached(d->thing, p)) {
                wrong += std::string(" missing ") + to_string(p);
            }
        }
        for (const auto p : e.not_reached) {
            if (recorder_.reached(d->thing, p)) {
                wrong += std::string(" reached ") + to_string(p);
            }
        }
        tally.add(d->thing, wrong.empty(), wrong.empty() ? "as expected" : wrong.substr(1));
    }
}

void Run::observe_boots(const Expectation& e, Check& check, Tally& tally) const {
    check.expected = "boots " + describe_range(e.count);
    for (const Device* d : select(e.devices)) {
        const std::uint32_t boots = d->started ? status_of(*d).boots : 0;
        tally.add(d->thing, in_range(e.count, boots), std::to_string(boots) + " boots");
    }
}

void Run::observe_job_updates(const Expectation& e, Check& check, Tally& tally) const {
    // As the devices published them (the runtime reports every publish), accepted by the cloud
    // or not.
    const std::string status = e.update_status ? to_string(*e.update_status) : "";
    check.expected = "job updates of " + e.job + (status.empty() ? "" : " with status " + status) +
                     " published " + describe_range(e.count);
    for (const Device* d : select(e.devices)) {
        const std::uint64_t n = recorder_.updates(d->thing, e.job, status);
        tally.add(d->thing, in_range(e.count, n), std::to_string(n) + " updates");
    }
}

} // namespace fota::sim::runner
