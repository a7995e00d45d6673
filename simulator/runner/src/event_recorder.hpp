// What the runner learns from the devices' events (DeviceRuntime::on_event, on the stack's
// threads): the phases each device reached and when, download attempts, published job updates,
// and the power cuts armed to fire when a device enters a phase. Also keeps the devices' log
// lines (the "device" logger's sink).
#pragma once

#include "fota/sim/stack.hpp"
#include "report/report.hpp"
#include "scenario/scenario.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fota::sim::runner {

class EventRecorder {
public:
    void add_log_line(const std::string& line);

    /// One event of thing's device at `at`; returns the power cut to make now, if one was armed
    /// for a phase this event enters.
    std::optional<StackDevice::PowerCut> event(const std::string& thing, std::string_view name,
                                               std::string_view detail, RunTime at);

    void add_thing(const std::string& thing);
    /// Arms a power cut for the next time thing enters phase.
    void arm_cut(const std::string& thing, DevicePhase phase, std::uint64_t after_download_bytes,
                 std::chrono::milliseconds off_for);
    bool reached(const std::string& thing, DevicePhase phase) const;
    std::uint64_t download_attempts(const std::string& thing) const;
    /// Job updates thing's device published for job (with status, when not empty).
    std::uint64_t updates(const std::string& thing, const std::string& job,
                          const std::string& status) const;
    std::vector<PhaseEvent> phases(const std::string& thing) const;
    std::string log() const;

private:
    struct ArmedCut {
        DevicePhase phase = DevicePhase::booted;
        std::uint64_t after_download_bytes = 0;
        std::chrono::milliseconds off_for{0};
    };
    struct Thing {
        std::set<DevicePhase> reached;
        std::vector<PhaseEvent> phases;
        std::uint64_t download_attempts = 0;
        DevicePhase last_event_phase = DevicePhase::booted;
        std::vector<ArmedCut> cuts;
        bool fresh_power_on = false;
        std::map<std::pair<std::string, std::string>, std::uint64_t> updates; // (job, status)
    };

    static std::string count_update(Thing& t, std::string_view detail);

    mutable std::mutex mutex_;
    std::map<std::string, Thing> things_;
    std::string log_;
};

/// Hands the "device" logger's lines to the recorder of the running scenario (nullptr: none),
/// and to stderr when echo.
void record_device_log(EventRecorder* recorder, bool echo);

} // namespace fota::sim::runner
