#include "scenario/scenario.hpp"

#include "scenario/units.hpp"

namespace fota::sim {

std::uint64_t Scenario::device_count() const {
    std::uint64_t total = 0;
    for (const auto& group : devices) {
        total += group.count;
    }
    return total;
}

const Firmware* Scenario::find_firmware(const std::string& id) const {
    for (const auto& image : firmware) {
        if (image.id == id) {
            return &image;
        }
    }
    return nullptr;
}

std::vector<std::string> Scenario::thing_names(const DeviceSelector& selector) const {
    if (!selector.all) {
        return selector.things;
    }
    std::vector<std::string> names;
    names.reserve(device_count());
    for (const auto& group : devices) {
        for (std::uint32_t i = 0; i < group.count; ++i) {
            names.push_back(group.thing_prefix + std::to_string(i));
        }
    }
    return names;
}

const char* to_string(StackKind kind) {
    switch (kind) {
    case StackKind::embedded:
        return "embedded";
    case StackKind::url:
        return "url";
    case StackKind::aws:
        return "aws";
    }
    return "?";
}

const char* to_string(ProfileName profile) {
    return profile == ProfileName::verified ? "verified" : "seed";
}

const char* to_string(DevicePhase phase) {
    switch (phase) {
    case DevicePhase::booted:
        return "booted";
    case DevicePhase::shadow_reported:
        return "shadow_reported";
    case DevicePhase::connected:
        return "connected";
    case DevicePhase::job_received:
        return "job_received";
    case DevicePhase::in_progress_sent:
        return "in_progress_sent";
    case DevicePhase::downloading:
        return "downloading";
    case DevicePhase::download_complete:
        return "download_complete";
    case DevicePhase::apply_sent:
        return "apply_sent";
    case DevicePhase::image_scheduled:
        return "image_scheduled";
    case DevicePhase::succeeded_sent:
        return "succeeded_sent";
    case DevicePhase::failed_sent:
        return "failed_sent";
    case DevicePhase::rebooting:
        return "rebooting";
    case DevicePhase::swapping:
        return "swapping";
    case DevicePhase::confirmed:
        return "confirmed";
    case DevicePhase::rolled_back:
        return "rolled_back";
    case DevicePhase::job_abandoned:
        return "job_abandoned";
    }
    return "?";
}

const char* to_string(ExecutionStatus status) {
    switch (status) {
    case ExecutionStatus::queued:
        return "QUEUED";
    case ExecutionStatus::in_progress:
        return "IN_PROGRESS";
    case ExecutionStatus::succeeded:
        return "SUCCEEDED";
    case ExecutionStatus::failed:
        return "FAILED";
    case ExecutionStatus::timed_out:
        return "TIMED_OUT";
    case ExecutionStatus::rejected:
        return "REJECTED";
    case ExecutionStatus::removed:
        return "REMOVED";
    case ExecutionStatus::canceled:
        return "CANCELED";
    }
    return "?";
}

const char* to_string(JobStatus status) {
    switch (status) {
    case JobStatus::in_progress:
        return "IN_PROGRESS";
    case JobStatus::canceled:
        return "CANCELED";
    case JobStatus::deletion_in_progress:
        return "DELETION_IN_PROGRESS";
    case JobStatus::completed:
        return "COMPLETED";
    }
    return "?";
}

const char* to_string(Condition::Kind kind) {
    switch (kind) {
    case Condition::Kind::execution_status:
        return "execution_status";
    case Condition::Kind::job_status:
        return "job_status";
    case Condition::Kind::device_phase:
        return "device_phase";
    case Condition::Kind::downloaded_bytes:
        return "downloaded_bytes";
    case Condition::Kind::running_version:
        return "running_version";
    case Condition::Kind::all_of:
        return "all_of";
    case Condition::Kind::any_of:
        return "any_of";
    }
    return "?";
}

const char* to_string(Expectation::Kind kind) {
    switch (kind) {
    case Expectation::Kind::execution_status:
        return "execution_status";
    case Expectation::Kind::job_status:
        return "job_status";
    case Expectation::Kind::running_version:
        return "running_version";
    case Expectation::Kind::shadow_version:
        return "shadow_version";
    case Expectation::Kind::slot:
        return "slot";
    case Expectation::Kind::downloads:
        return "downloads";
    case Expectation::Kind::no_execution_in_progress:
        return "no_execution_in_progress";
    case Expectation::Kind::phases:
        return "phases";
    case Expectation::Kind::boots:
        return "boots";
    case Expectation::Kind::job_updates:
        return "job_updates";
    }
    return "?";
}

const char* to_string(RejectCode code) {
    switch (code) {
    case RejectCode::version_mismatch:
        return "VersionMismatch";
    case RejectCode::invalid_state_transition:
        return "InvalidStateTransition";
    case RejectCode::terminal_state_reached:
        return "TerminalStateReached";
    case RejectCode::resource_not_found:
        return "ResourceNotFound";
    case RejectCode::invalid_request:
        return "InvalidRequest";
    case RejectCode::invalid_json:
        return "InvalidJson";
    case RejectCode::request_throttled:
        return "RequestThrottled";
    }
    return "?";
}

const char* step_name(const StepAction& action) {
    static constexpr const char* kNames[] = {
        "create_job", "wait_for",    "hold",          "start_devices", "reboot",
        "power_cut",  "flash_fault", "network_fault", "http_fault",    "cloud_fault",
        "cancel_job", "delete_job",  "restart_broker"};
    static_assert(std::size(kNames) == std::variant_size_v<StepAction>);
    return kNames[action.index()];
}

namespace {

std::string devices_text(const DeviceSelector& selector) {
    if (selector.all) {
        return "all devices";
    }
    if (selector.things.size() == 1) {
        return selector.things.front();
    }
    std::string text =
        std::to_string(selector.things.size()) + " devices (" + selector.things.front();
    return text + ", ...)";
}

std::string range_text(const CountRange& range) {
    if (range.min && range.max && *range.min == *range.max) {
        return "= " + std::to_string(*range.min);
    }
    std::string text;
    if (range.min) {
        text += ">= " + std::to_string(*range.min);
    }
    if (range.max) {
        text += (text.empty() ? "" : " and ") + std::string("<= ") + std::to_string(*range.max);
    }
    return text;
}

} // namespace

std::string describe(const Expectation& e) {
    if (!e.name.empty()) {
        return e.name;
    }
    std::string text = to_string(e.kind);
    switch (e.kind) {
    case Expectation::Kind::execution_status:
        text += ": job " + e.job + " on " + devices_text(e.devices) + " is " +
                to_string(e.execution_status);
        if (e.status_details) {
            text +=
                " with statusDetails " +
                e.status_details->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        }
        break;
    case Expectation::Kind::job_status:
        text += ": job " + e.job + " is " + to_string(e.job_status);
        break;
    case Expectation::Kind::running_version:
        text += ": " + devices_text(e.devices) + " run " + e.version;
        if (e.confirmed) {
            text += *e.confirmed ? ", confirmed" : ", not confirmed";
        }
        break;
    case Expectation::Kind::shadow_version:
        text += ": " + devices_text(e.devices) + " report " + e.version + " in the shadow";
        break;
    case Expectation::Kind::slot:
        text += ": " + std::string(e.slot == Slot::primary ? "primary" : "secondary") +
                " slot of " + devices_text(e.devices) + " holds " +
                (e.slot_erased ? std::string("nothing (erased)") : "firmware " + e.slot_firmware);
        break;
    case Expectation::Kind::downloads:
        text += ": " + devices_text(e.devices);
        if (e.download_attempts.min || e.download_attempts.max) {
            text += ", attempts " + range_text(e.download_attempts);
        }
        if (e.range_requests.min || e.range_requests.max) {
            text += ", range requests " + range_text(e.range_requests);
        }
        if (e.bytes.min || e.bytes.max) {
            text += ", bytes " + range_text(e.bytes);
        }
        break;
    case Expectation::Kind::no_execution_in_progress:
        text += e.job.empty() ? ": no execution left IN_PROGRESS"
                              : ": no execution of job " + e.job + " left IN_PROGRESS";
        break;
    case Expectation::Kind::phases:
        text += ": " + devices_text(e.devices);
        for (auto phase : e.reached) {
            text += std::string(" +") + to_string(phase);
        }
        for (auto phase : e.not_reached) {
            text += std::string(" -") + to_string(phase);
        }
        break;
    case Expectation::Kind::boots:
        text += ": " + devices_text(e.devices) + " booted " + range_text(e.count) + " times";
        break;
    case Expectation::Kind::job_updates:
        text += ": " + devices_text(e.devices) + " sent " + range_text(e.count) + " updates";
        if (e.update_status) {
            text += std::string(" with status ") + to_string(*e.update_status);
        }
        text += " for job " + e.job;
        break;
    }
    if (e.within.count() > 0) {
        text += " within " + format_duration(e.within);
    }
    return text;
}

} // namespace fota::sim
