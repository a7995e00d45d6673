#include "scenario/scenario.hpp"

#include "scenario/expectations/expectation_kinds.hpp"
#include "scenario/steps/step_kinds.hpp"
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
    case StackKind::sim:
        return "sim";
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
    const auto kinds = expectation_kinds();
    const auto index = static_cast<std::size_t>(kind);
    return index < kinds.size() ? kinds[index].name.data() : "?";
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
    return step_kinds()[action.index()].name.data();
}

std::string describe(const Expectation& e) {
    if (!e.name.empty()) {
        return e.name;
    }
    std::string text = to_string(e.kind);
    text += expectation_kinds()[static_cast<std::size_t>(e.kind)].describe(e);
    if (e.within.count() > 0) {
        text += " within " + format_duration(e.within);
    }
    return text;
}

} // namespace fota::sim
