// Recording a device's core (format: recording.hpp). A DeviceRecorder owns one device's file;
// each boot of the device begins a BootRecorder, which stands between the core and the
// platform's ports (it writes every port call with what it returned) and, through AgentInputs,
// writes every input before the core receives it. Not thread-safe: one device, one strand.
//
//   auto file = DeviceRecorder::open("rec/dev-0.jsonl", thing, profile, url, clock, error);
//   BootRecorder boot(*file, platform_ports, boot_number, seed, storage);
//   Agent agent(config, boot.ports());
//   AgentInputs inputs(agent, &boot);
//   inputs.on_boot();
#pragma once

#include "fota/record/recording.hpp"

#include <fota/agent.hpp>
#include <fota/ports.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace fota::flash {
class Device;
}

namespace fota::record {

/// The flash and the store of a device as a header or boot line describes them: the geometry and
/// layout, each partition's SHA-256, and the bytes stored under store_key (null when none).
nlohmann::json describe_storage(fota::flash::Device& device, std::string_view store_key);

/// One device's recording file.
class DeviceRecorder {
public:
    /// The device host's clock; times in the file are taken from it, from the first call on.
    using Clock = std::function<std::chrono::nanoseconds()>;

    /// Creates (or truncates) path. nullptr with error set when it cannot be written.
    static std::unique_ptr<DeviceRecorder> open(const std::string& path, std::string thing,
                                                const Profile& profile, std::string shadow_base_url,
                                                Clock clock, std::string& error);
    ~DeviceRecorder();
    DeviceRecorder(const DeviceRecorder&) = delete;
    DeviceRecorder& operator=(const DeviceRecorder&) = delete;

    /// Begins a segment (the header first, at the first one).
    void begin_boot(std::uint32_t boot, std::uint64_t seed, const nlohmann::json& storage);
    /// Adds "type", "i" and "t" and writes the line.
    void write(const char* type, nlohmann::json line);
    /// Something the host did ("power_cut", "shutdown"); a replay skips it. None is written
    /// before the first boot.
    void note(std::string_view what, std::string_view detail = {});
    void flush();
    const std::string& path() const { return path_; }

private:
    DeviceRecorder(std::string path, Clock clock);

    std::string path_;
    std::ofstream out_;
    Clock clock_;
    std::chrono::nanoseconds start_{0};
    std::uint64_t next_index_ = 0;
    nlohmann::json header_;
    bool header_written_ = false;
};

/// One boot's recording: the ports the core is given (each call goes on to the platform's port
/// and is written with its arguments and result) and the inputs (written by AgentInputs).
class BootRecorder final : public Mqtt,
                           public Http,
                           public Flash,
                           public Boot,
                           public Store,
                           public Timers,
                           public Log {
public:
    BootRecorder(DeviceRecorder& file, const Ports& platform, std::uint32_t boot,
                 std::uint64_t seed, const nlohmann::json& storage);
    BootRecorder(const BootRecorder&) = delete;
    BootRecorder& operator=(const BootRecorder&) = delete;

    /// The ports to build the core with.
    Ports ports() { return Ports{*this, *this, *this, *this, *this, *this, *this}; }
    /// Writes one input line: {"input": kind, ...fields}.
    void input(std::string_view kind, nlohmann::json fields = nlohmann::json::object());
    DeviceRecorder& file() { return file_; }

    void connect() override;
    PortStatus subscribe(std::string_view topic_filter) override;
    PortStatus unsubscribe(std::string_view topic_filter) override;
    PortStatus publish(std::string_view topic, std::string_view payload) override;
    PortStatus start(const HttpRequest& request) override;
    void cancel(std::uint32_t request_id) override;
    FlashGeometry geometry() const override;
    PortStatus erase(std::uint32_t offset, std::uint32_t length) override;
    PortStatus write(std::uint32_t offset, std::span<const std::uint8_t> data) override;
    PortStatus sha256(std::uint32_t length, Digest& digest) override;
    BootInfo boot_info() const override;
    PortStatus request_upgrade(bool permanent) override;
    PortStatus confirm() override;
    void reboot() override;
    PortStatus load(std::span<std::uint8_t> out, std::size_t& length) override;
    PortStatus save(std::span<const std::uint8_t> record) override;
    void start(TimerId id, std::uint32_t delay_ms) override;
    void cancel(TimerId id) override;
    void event(LogLevel level, Event event, std::string_view detail) override;

private:
    void output(nlohmann::json call) const;
    PortStatus output(nlohmann::json call, PortStatus status) const;

    DeviceRecorder& file_;
    Ports platform_;
};

/// The core's inputs, each written to the boot's recording (when there is one) just before the
/// core receives it.
class AgentInputs {
public:
    AgentInputs() = default;
    AgentInputs(Agent& agent, BootRecorder* recorder) : agent_(&agent), recorder_(recorder) {}

    void on_boot();
    void on_connected(bool session_present);
    void on_disconnected();
    void on_message(std::string_view topic, std::string_view payload);
    void on_http_status(std::uint32_t request_id, int status);
    void on_http_header(std::uint32_t request_id, std::string_view name, std::string_view value);
    void on_http_body(std::uint32_t request_id, std::span<const std::uint8_t> data);
    void on_http_done(std::uint32_t request_id);
    void on_http_error(std::uint32_t request_id, HttpError error);
    void on_timer(TimerId id);

private:
    Agent* agent_ = nullptr;
    BootRecorder* recorder_ = nullptr;
};

} // namespace fota::record
