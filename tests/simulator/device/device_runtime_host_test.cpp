// The device runtime on a fake host (manual clock, queued posts, fake MQTT and HTTP): boot,
// connect, the core's timers, a power cut and its reboot, a clean reboot, and offline across a
// reboot, and a recording of the core, all in one thread and in virtual time. Nothing here runs an
// io_context or sleeps, so a runtime that used Asio or the wall clock behind its host's back would
// stand still or see the wrong time.
#include "fake_host.hpp"

#include "fota/sim/device_runtime.hpp"

#include <fota/record/reader.hpp>
#include <fota/record/replay.hpp>

#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

using namespace fota::sim;
using namespace fota::sim::test;

namespace {

DeviceOptions device_options() {
    DeviceOptions options;
    options.thing_name = "dev-1";
    options.shadow_base_url = "http://shadow.test";
    options.seed = 7;
    options.image_size = 16 * 1024;
    return options;
}

// A device on a fake host with every event it emits.
struct Rig {
    explicit Rig(DeviceOptions options = device_options())
        : host(std::make_shared<FakeHost>()), device(host, std::move(options)) {
        device.on_event(
            [this](std::string_view name, std::string_view) { events.emplace_back(name); });
    }

    bool saw(std::string_view name) const {
        return std::find(events.begin(), events.end(), name) != events.end();
    }
    std::size_t count(std::string_view name) const {
        return static_cast<std::size_t>(std::count(events.begin(), events.end(), name));
    }
    MqttRecord& session() { return *host->mqtt_sessions.back(); }

    std::shared_ptr<FakeHost> host;
    DeviceRuntime device;
    std::vector<std::string> events;
};

bool subscribed_to_notify_next(const MqttRecord& session) {
    return std::find(session.subscriptions.begin(), session.subscriptions.end(),
                     "$aws/things/dev-1/jobs/notify-next") != session.subscriptions.end();
}

} // namespace

TEST_CASE("A device on a fake host: boot, a core timer, connect, a power cut and its reboot",
          "[device][host]") {
    Rig rig;
    int shadow_posts = 0;
    rig.host->http_answer = [&shadow_posts](const HttpRequestSpec& request) {
        HttpAnswer answer;
        if (request.url == "http://shadow.test/things/dev-1/shadow" && ++shadow_posts == 1) {
            answer.failure = HttpFailure::ConnectFailed; // the core retries on its timer
        }
        return answer;
    };

    // start() is posted: nothing runs inside the call.
    rig.device.start();
    CHECK(rig.device.status().state == DeviceState::Off);
    REQUIRE(rig.host->posted() == 1);
    rig.host->run_posted();

    DeviceStatus status = rig.device.status();
    CHECK(status.state == DeviceState::Running);
    CHECK(status.boots == 1);
    CHECK(status.running_version == "v1.0.0");
    REQUIRE(rig.host->http_requests.size() == 1);
    CHECK(rig.host->http_requests[0].spec.method == HttpRequestSpec::Method::Post);
    CHECK(rig.host->http_requests[0].spec.body.find("1.0.0") != std::string::npos);
    CHECK(rig.saw("shadow_retry"));
    REQUIRE(rig.host->mqtt_sessions.size() == 1);
    CHECK_FALSE(rig.session().started); // the core connects after the shadow report
    CHECK(rig.session().options.client_id == "dev-1");

    // The retry timer fires on the host's clock, not before its deadline.
    const std::optional<HostTime> deadline = rig.host->next_deadline();
    REQUIRE(deadline.has_value());
    CHECK(*deadline > HostTime::zero());
    rig.host->advance_to(*deadline - 1ms);
    CHECK(rig.host->http_requests.size() == 1);
    rig.host->advance_to(*deadline);
    CHECK(rig.host->http_requests.size() == 2);
    CHECK(rig.host->http_requests[1].started_at == *deadline);
    CHECK(rig.saw("shadow_reported"));

    // Connected: the core subscribes and asks for its next job.
    CHECK(rig.session().started);
    REQUIRE(rig.session().connected_at.size() == 1);
    CHECK(rig.saw("mqtt_connected"));
    CHECK(subscribed_to_notify_next(rig.session()));
    CHECK(rig.count("mqtt_published") == rig.session().publishes.size());
    CHECK_FALSE(rig.session().publishes.empty());
    status = rig.device.status();
    CHECK(status.mqtt_connected);
    CHECK(status.mqtt_connections == 1);
    CHECK(status.phase == "idle");

    // A power cut: the core stops at once, its session goes without a DISCONNECT, and the power
    // returns 5 s later on the host's clock.
    const HostTime cut_at = rig.host->now();
    const std::size_t published = rig.session().publishes.size();
    rig.device.cut_power(5s);
    CHECK(rig.events.back() == "power_cut");
    CHECK(rig.device.status().state == DeviceState::Rebooting);
    rig.host->run_posted();
    CHECK(rig.host->mqtt_sessions[0]->destroyed);
    CHECK_FALSE(rig.host->mqtt_sessions[0]->stopped);
    CHECK(rig.host->mqtt_sessions[0]->publishes.size() == published);
    CHECK(rig.host->live_clients == 0);
    rig.host->advance_to(cut_at + 5s - 1ms);
    CHECK(rig.device.status().state == DeviceState::Rebooting);
    CHECK(rig.device.status().boots == 1);
    rig.host->advance_to(cut_at + 5s);

    status = rig.device.status();
    CHECK(status.state == DeviceState::Running);
    CHECK(status.boots == 2);
    CHECK(status.power_cuts == 1);
    CHECK(status.running_version == "v1.0.0");
    REQUIRE(rig.host->mqtt_sessions.size() == 2);
    REQUIRE(rig.session().connected_at.size() == 1);
    CHECK(rig.session().connected_at[0] == cut_at + 5s);
    CHECK(rig.host->http_requests.size() == 3); // this boot's shadow report
    CHECK(status.mqtt_connected);
    CHECK(status.mqtt_connections == 2); // counters add up over the boots
    CHECK(status.http_requests == 3);
}

TEST_CASE("A device on a fake host: a clean reboot says goodbye; stop and destruction leave "
          "nothing armed",
          "[device][host]") {
    Rig rig;
    rig.device.start();
    rig.host->run_posted();
    REQUIRE(rig.device.status().mqtt_connected);

    rig.device.reboot_cleanly();
    CHECK(rig.host->mqtt_sessions[0]->stopped);
    CHECK(rig.host->mqtt_sessions[0]->destroyed);
    rig.host->run_posted();
    CHECK(rig.device.status().boots == 2);
    CHECK(rig.device.status().mqtt_connected);

    // A stall ends on a device timer; stop() cancels it with the boot.
    rig.device.stall_http_for(30s);
    CHECK(rig.host->armed_timers() == 1);
    rig.device.stop();
    CHECK(rig.device.status().state == DeviceState::Off);
    CHECK(rig.host->armed_timers() == 0);
    CHECK(rig.host->live_clients == 0);

    // A device destroyed with a power-off timer and posted work pending: nothing of it runs.
    auto host = std::make_shared<FakeHost>();
    auto device = std::make_unique<DeviceRuntime>(host, device_options());
    int boots = 0;
    device->on_boot([&boots](const DeviceStatus&) { ++boots; });
    device->start();
    host->run_posted();
    REQUIRE(boots == 1);
    device->cut_power(10s);
    device.reset();
    CHECK(host->live_clients == 0);
    host->advance(1min);
    CHECK(host->armed_timers() == 0);
    CHECK(boots == 1);
}

TEST_CASE("A device on a fake host: offline across a reboot is measured on the host's clock",
          "[device][host]") {
    Rig rig;
    rig.device.start();
    rig.host->run_posted();
    REQUIRE(rig.device.status().mqtt_connected);

    // Offline for 30 s: MQTT is lost and HTTP stalls until a device timer ends it.
    const HostTime offline_at = rig.host->now();
    rig.device.go_offline(30s);
    REQUIRE(rig.session().offline_calls.size() == 1);
    CHECK(rig.session().offline_calls[0] == 30s);
    rig.host->run_posted();
    CHECK_FALSE(rig.device.status().mqtt_connected);

    // A watchdog reboot 10 s (virtual) later: the new boot's HTTP is stalled (its shadow report
    // waits), so it connects only when the stall ends, exactly when the network returns.
    rig.host->advance_to(offline_at + 10s);
    rig.device.reboot();
    rig.host->run_posted();
    CHECK(rig.device.status().boots == 2);
    CHECK(rig.host->http_requests.size() == 2);
    CHECK_FALSE(rig.session().started);
    rig.host->advance_to(offline_at + 30s - 1ms);
    CHECK_FALSE(rig.device.status().mqtt_connected);
    rig.host->advance_to(offline_at + 30s);
    REQUIRE(rig.session().connected_at.size() == 1);
    CHECK(rig.session().connected_at[0] == offline_at + 30s);
    CHECK(rig.device.status().mqtt_connected);
}

TEST_CASE("A device on a fake host: a reboot inside the offline window hands the rest of it to "
          "the new MQTT session",
          "[device][host]") {
    DeviceOptions options = device_options();
    options.profile.shadow_transport = fota::ShadowTransport::Mqtt; // connects at once at boot
    Rig rig(options);
    rig.device.start();
    rig.host->run_posted();
    REQUIRE(rig.device.status().mqtt_connected);

    const HostTime offline_at = rig.host->now();
    rig.device.go_offline(30s);
    rig.host->advance_to(offline_at + 12s);
    rig.device.reboot();
    rig.host->run_posted();

    // 18 s of the 30 are left on the host's clock (the wall clock has hardly moved).
    REQUIRE(rig.host->mqtt_sessions.size() == 2);
    REQUIRE(rig.session().offline_calls.size() == 1);
    CHECK(rig.session().offline_calls[0] == 18s);
    CHECK_FALSE(rig.device.status().mqtt_connected);
    rig.host->advance_to(offline_at + 30s);
    REQUIRE(rig.session().connected_at.size() == 1);
    CHECK(rig.session().connected_at[0] == offline_at + 30s);
    CHECK(rig.device.status().mqtt_connected);
}

TEST_CASE("A device on a fake host records its core when asked: a segment per boot, the power cut "
          "noted, times on the host's clock, and the file replays identical",
          "[device][host][record]") {
    const std::string path = (std::filesystem::temp_directory_path() /
                              ("fota-device-record-" + std::to_string(::getpid()) + ".jsonl"))
                                 .string();
    DeviceOptions options = device_options();
    options.record_file = path;
    {
        Rig rig(options);
        rig.device.start();
        rig.host->run_posted();
        REQUIRE(rig.device.status().mqtt_connected);
        rig.host->advance(2s);
        rig.device.cut_power(1s);
        rig.host->run_posted();
        rig.host->advance(1s);
        REQUIRE(rig.device.status().boots == 2);
        REQUIRE(rig.device.status().mqtt_connected);
    }
    const fota::record::ReadResult read = fota::record::read_recording_file(path);
    std::filesystem::remove(path);
    INFO(read.error.line << ": " << read.error.message);
    REQUIRE(read.recording);
    const fota::record::Recording& recording = *read.recording;
    CHECK(recording.thing == "dev-1");
    CHECK(recording.shadow_base_url == "http://shadow.test");
    REQUIRE(recording.segments.size() == 2);
    CHECK(recording.segments[0].boot == 1);
    CHECK(recording.segments[1].boot == 2);
    CHECK(recording.segments[0].seed != recording.segments[1].seed);
    const auto& first = recording.segments[0].entries;
    REQUIRE_FALSE(first.empty());
    CHECK(first.front().input.kind == fota::record::Input::Kind::Boot);
    const auto cut = std::find_if(first.begin(), first.end(), [](const auto& entry) {
        return entry.kind == fota::record::Entry::Kind::Note && entry.note == "power_cut";
    });
    REQUIRE(cut != first.end());
    CHECK(cut->time_ms == 2000);
    CHECK(recording.segments[1].entries.front().time_ms == 3000);
    const fota::record::ReplayResult result = fota::record::replay(recording);
    INFO(fota::record::describe(result));
    CHECK(result.identical);
    CHECK(result.segments == 2);
}
