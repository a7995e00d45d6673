// The devices' events and log lines, as the runner records them (see event_recorder.hpp).
#include "event_recorder.hpp"

#include "fota/sim/scenario_runner.hpp"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <cstdio>

namespace fota::sim::runner {

void EventRecorder::add_log_line(const std::string& line) {
    const std::lock_guard lock(mutex_);
    if (log_.size() < 4 * 1024 * 1024) {
        log_ += line;
        log_ += '\n';
    }
}

std::optional<StackDevice::PowerCut> EventRecorder::event(const std::string& thing,
                                                          std::string_view name,
                                                          std::string_view detail, RunTime at) {
    const std::lock_guard lock(mutex_);
    auto found = things_.find(thing);
    if (found == things_.end()) {
        return std::nullopt;
    }
    Thing& t = found->second;
    std::vector<DevicePhase> phases;
    if (name == "mqtt_published") {
        // SUCCEEDED and FAILED are "sent" the moment the device publishes them.
        const std::string status = count_update(t, detail);
        if (status == "SUCCEEDED") {
            phases.push_back(DevicePhase::succeeded_sent);
        } else if (status == "FAILED") {
            phases.push_back(DevicePhase::failed_sent);
        }
    } else {
        phases = phases_of_event(name);
    }
    if (name == "download_started" || name == "download_resume") {
        ++t.download_attempts;
    }
    if (name == "power_cut") {
        t.fresh_power_on = true; // a phase seen before the cut is entered anew after it
        t.phases.push_back(PhaseEvent{"power_cut", at, std::string(detail)});
        return std::nullopt;
    }
    // The runtime and the core both report some transitions ("rebooting"): one phase event per
    // transition.
    if (phases.empty() ||
        (!t.phases.empty() && !t.fresh_power_on && t.last_event_phase == phases.back())) {
        return std::nullopt;
    }
    t.fresh_power_on = false;
    std::optional<StackDevice::PowerCut> cut;
    for (const DevicePhase phase : phases) {
        t.reached.insert(phase);
        t.phases.push_back(PhaseEvent{to_string(phase), at, std::string(detail)});
        t.last_event_phase = phase;
        for (auto armed = t.cuts.begin(); armed != t.cuts.end() && !cut; ++armed) {
            if (armed->phase == phase) {
                cut = StackDevice::PowerCut{armed->after_download_bytes, armed->off_for};
                t.cuts.erase(armed);
                break;
            }
        }
    }
    return cut;
}

void EventRecorder::add_thing(const std::string& thing) {
    const std::lock_guard lock(mutex_);
    things_[thing];
}

void EventRecorder::arm_cut(const std::string& thing, DevicePhase phase,
                            std::uint64_t after_download_bytes, std::chrono::milliseconds off_for) {
    const std::lock_guard lock(mutex_);
    things_[thing].cuts.push_back(ArmedCut{phase, after_download_bytes, off_for});
}

bool EventRecorder::reached(const std::string& thing, DevicePhase phase) const {
    const std::lock_guard lock(mutex_);
    const auto found = things_.find(thing);
    return found != things_.end() && found->second.reached.count(phase) != 0;
}

std::uint64_t EventRecorder::download_attempts(const std::string& thing) const {
    const std::lock_guard lock(mutex_);
    const auto found = things_.find(thing);
    return found == things_.end() ? 0 : found->second.download_attempts;
}

std::uint64_t EventRecorder::updates(const std::string& thing, const std::string& job,
                                     const std::string& status) const {
    const std::lock_guard lock(mutex_);
    const auto found = things_.find(thing);
    if (found == things_.end()) {
        return 0;
    }
    std::uint64_t n = 0;
    for (const auto& [key, count] : found->second.updates) {
        if (key.first == job && (status.empty() || key.second == status)) {
            n += count;
        }
    }
    return n;
}

std::vector<PhaseEvent> EventRecorder::phases(const std::string& thing) const {
    const std::lock_guard lock(mutex_);
    const auto found = things_.find(thing);
    return found == things_.end() ? std::vector<PhaseEvent>{} : found->second.phases;
}

std::string EventRecorder::log() const {
    const std::lock_guard lock(mutex_);
    return log_;
}

// Counts a published job update; returns its status (empty for another publish).
std::string EventRecorder::count_update(Thing& t, std::string_view detail) {
    PublishedUpdate update = parse_job_update(detail);
    if (update.job.empty()) {
        return {};
    }
    ++t.updates[{update.job, update.status}];
    return update.status;
}

namespace {

/// The sink of the "device" logger: hands lines to the recorder of the running scenario.
class RecorderSink : public spdlog::sinks::base_sink<std::mutex> {
public:
    void set_recorder(EventRecorder* recorder, bool echo) {
        const std::lock_guard lock(target_mutex_);
        recorder_ = recorder;
        echo_ = echo;
    }

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        const std::string line(msg.payload.data(), msg.payload.size());
        const std::lock_guard lock(target_mutex_);
        if (recorder_ != nullptr) {
            recorder_->add_log_line(line);
        }
        if (echo_) {
            fprintf(stderr, "%s\n", line.c_str());
        }
    }
    void flush_() override {}

private:
    std::mutex target_mutex_;
    EventRecorder* recorder_ = nullptr;
    bool echo_ = false;
};

/// Registers the "device" logger (before any device makes its own) with the recorder sink.
std::shared_ptr<RecorderSink> recorder_sink() {
    static const std::shared_ptr<RecorderSink> sink = [] {
        auto created = std::make_shared<RecorderSink>();
        if (auto existing = spdlog::get("device")) {
            existing->sinks().push_back(created);
            existing->set_level(spdlog::level::info);
        } else {
            auto logger = std::make_shared<spdlog::logger>("device", created);
            logger->set_level(spdlog::level::info);
            spdlog::register_logger(logger);
        }
        return created;
    }();
    return sink;
}

} // namespace

void record_device_log(EventRecorder* recorder, bool echo) {
    recorder_sink()->set_recorder(recorder, echo);
}

} // namespace fota::sim::runner
