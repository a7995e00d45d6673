// One boot of a simulated device: the FOTA core and the host side of its ports (the MQTT session,
// HTTP client and timers its DeviceHost makes, and the fake flash's secondary slot, boot model
// and store). Private to the device runtime; DeviceRuntime::Impl builds one per boot and drops it
// at a reboot or a power cut. Defined in three files by responsibility: boot_session.cpp
// (building the core, the MQTT session and HTTP transfers, timers, log events), storage_ports.cpp
// (flash, boot and store over the fake flash) and device_faults.cpp (the fault triggers a session
// carries).
#pragma once

#include "fota/sim/device_runtime.hpp"

#include <fota/agent.hpp>
#include <fota/flash/device.hpp>
#include <fota/ports.hpp>
#include <fota/record/recorder.hpp>

#include <spdlog/spdlog.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string_view>

namespace fota::sim {

/// The key of the core's state record in the settings partition.
inline constexpr std::string_view kStateRecordKey = "fota/state";

/// The core's version type for the boot model's.
fota::ImageVersion core_version(const flash::ImageVersion& version);

/// The counters of DeviceStatus that add up over the boots of a device.
struct BootCounters {
    std::uint64_t download_bytes = 0;
    std::uint64_t http_requests = 0;
    std::uint64_t http_connections = 0;
    std::uint32_t jobs_taken = 0;
    std::uint32_t download_retries = 0;
    std::uint64_t mqtt_connections = 0;
    std::uint64_t messages_lost = 0;

    BootCounters& operator+=(const BootCounters& other);
};

// Destroying a session drops the core, its MQTT session, its HTTP transfers and its timers;
// nothing of it runs afterwards.
class BootSession final : public Mqtt,
                          public Http,
                          public Flash,
                          public Boot,
                          public Store,
                          public Timers,
                          public Log,
                          public std::enable_shared_from_this<BootSession> {
public:
    // What the session asks of the device around it.
    struct Host {
        std::function<void(bool clean)> request_reboot; // posted, never synchronous
        std::function<void()> power_lost;               // a flash operation hit a power cut
        std::function<void()> download_cut;             // the download reached the cut byte
        std::function<void()> download_stall;           // the download reached the stall byte
        std::function<void(std::string_view, std::string_view)> event; // a core log event
        record::DeviceRecorder* recorder = nullptr;                    // records this boot when set
    };

    BootSession(std::shared_ptr<DeviceHost> device_host, const DeviceOptions& options,
                flash::Device& device, const flash::BootResult& boot, std::uint32_t boot_number,
                Host host, std::shared_ptr<spdlog::logger> logger);
    ~BootSession();
    BootSession(const BootSession&) = delete;
    BootSession& operator=(const BootSession&) = delete;

    // Builds the clients and the agent, then boots the agent. Separate from the constructor:
    // handlers capture weak pointers to this session.
    void run();
    // Clean: say goodbye to the broker. Either way nothing of this boot runs afterwards.
    void shut_down(bool clean);

    bool alive() const { return !dead_ && agent_ && !agent_->rebooted(); }
    const Agent* agent() const { return agent_.get(); }
    MqttClient* mqtt_client() { return mqtt_client_.get(); }
    bool mqtt_connected() const { return agent_connected_; }
    bool image_confirmed() const { return boot_info_.confirmed; }
    std::uint64_t download_bytes() const { return download_bytes_; }
    BootCounters counters() const;

    // ---- faults (device_faults.cpp) ----
    void set_drop_at_download_byte(std::optional<std::uint64_t> bytes);
    void set_cut_at_download_byte(std::optional<std::uint64_t> bytes);
    void set_stall_at_download_byte(std::optional<std::uint64_t> bytes);
    void set_stalled(bool stalled);
    void set_offline_until(HostTime until);
    // The power is gone at this instant: whatever the core is doing unwinds, but nothing it asks
    // for afterwards happens (no publish, no state save, no timer, no log event).
    void lose_power();

    // ---- Mqtt ----
    void connect() override;
    PortStatus subscribe(std::string_view topic_filter) override;
    PortStatus unsubscribe(std::string_view topic_filter) override;
    PortStatus publish(std::string_view topic, std::string_view payload) override;

    // ---- Http ----
    PortStatus start(const HttpRequest& request) override;
    void cancel(std::uint32_t request_id) override;

    // ---- Flash (storage_ports.cpp) ----
    FlashGeometry geometry() const override;
    PortStatus erase(std::uint32_t offset, std::uint32_t length) override;
    PortStatus write(std::uint32_t offset, std::span<const std::uint8_t> data) override;
    PortStatus sha256(std::uint32_t length, Digest& digest) override;

    // ---- Boot (storage_ports.cpp) ----
    BootInfo boot_info() const override { return boot_info_; }
    PortStatus request_upgrade(bool permanent) override;
    PortStatus confirm() override;
    void reboot() override;

    // ---- Store (storage_ports.cpp) ----
    PortStatus load(std::span<std::uint8_t> out, std::size_t& length) override;
    PortStatus save(std::span<const std::uint8_t> record) override;

    // ---- Timers ----
    void start(TimerId id, std::uint32_t delay_ms) override;
    void cancel(TimerId id) override { timers_.at(static_cast<std::size_t>(id))->cancel(); }

    // ---- Log ----
    void event(LogLevel level, Event event, std::string_view detail) override;

private:
    void make_mqtt_client();
    HttpHandlers http_handlers(std::uint32_t id, bool is_download);
    PortStatus flash_result(flash::FlashStatus status);
    void mqtt_connected(bool session_present);
    void mqtt_disconnected(const MqttDisconnect& why);
    // Counts download body bytes and fires the fault set for the byte they pass.
    void count_download_bytes(std::size_t bytes);

    std::shared_ptr<DeviceHost> device_host_;
    const DeviceOptions& options_;
    flash::Device& device_;
    Host host_;
    std::shared_ptr<spdlog::logger> logger_;
    std::array<std::unique_ptr<HostTimer>, kTimerCount> timers_;
    BootInfo boot_info_;
    std::uint32_t boot_number_ = 0;
    std::unique_ptr<MqttClient> mqtt_client_;
    std::unique_ptr<HttpClient> http_client_;
    std::unique_ptr<record::BootRecorder> boot_recorder_; // between the core and its ports
    std::unique_ptr<Agent> agent_;
    record::AgentInputs inputs_; // the core's inputs, recorded when this boot is
    std::map<std::uint32_t, std::uint64_t> transfers_; // core request id -> client id
    std::optional<std::uint64_t> drop_at_download_byte_;
    std::optional<std::uint64_t> cut_at_download_byte_;
    std::optional<std::uint64_t> stall_at_download_byte_;
    HostTime offline_until_{}; // on the host's clock
    std::uint64_t download_bytes_ = 0;
    bool stalled_ = false;
    bool announce_first_byte_ = false; // a download (re)started: tell of its first byte
    bool dead_ = false;
    bool agent_connected_ = false;
    bool power_lost_reported_ = false;
};

} // namespace fota::sim
