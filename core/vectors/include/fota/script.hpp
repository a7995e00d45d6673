// A scripted harness for fota::Agent: recording ports on the fake device (fake_device.hpp:
// NOR-strict flash, a small MCUboot-like boot model, a store), and an interpreter of text scripts.
// Used by the portable vectors and by the host unit tests and fuzzers. No heap: every buffer is a
// member.
//
// A script is a list of lines. '>' lines are inputs, '<' lines are the expected port calls (in
// order, among the categories the script checks), '=' lines assert the agent's state:
//   >boot                          power on (applies a requested upgrade or reverts, then on_boot)
//   >powercut                      drop the agent without a reboot request (state lost in RAM)
//   >connected | >disconnected
//   >msg <topic> <payload>         on_message
//   >status <code>                 on_http_status for the last started request
//   >header <name>: <value>        on_http_header for the last started request
//   >body <n>                      n image bytes (a fixed pattern) continuing the last request's
//                                  range, as one chunk
//   >body_at <offset> <n>          n bytes of the pattern taken at image offset (wrong data)
//   >done | >error <timeout|reset> on_http_done / on_http_error for the last started request
//   >timer <retry|stall|update|jobcheck|shadow>
//   >refuse_next_image             the boot loader will refuse the new image (no swap)
//   >fail_flash_write              the next flash write fails
//   <mqtt.connect | <mqtt.subscribe T | <mqtt.unsubscribe T | <mqtt.publish T P
//   <http.start GET <url> <first>-<last> | <http.start POST <url> <body> | <http.cancel
//   <flash.erase <offset> <length> | <flash.write <offset> <length>
//   <boot.request_upgrade test|permanent | <boot.confirm | <boot.reboot
//   <timer.start <name> <ms> | <timer.cancel <name> | <store.save <phase>
//   =phase <name> | =offset <n> | =job <id> | =version <n> | =running <vX.Y.Z> | =confirmed yes|no
//   =rebooted yes|no
//   =image_ok                      the slot holds exactly the pattern image of the job's size
#pragma once

#include "fota/agent.hpp"
#include "fota/fake_device.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace fota::script {

/// The image pattern: byte at image offset o.
constexpr std::uint8_t pattern_byte(std::uint32_t o) {
    return static_cast<std::uint8_t>((o * 131u + (o >> 8) * 7u + 17u) & 0xFFu);
}

inline constexpr std::size_t kSlotCapacity = std::size_t{32} * 1024;

struct Setup {
    std::string_view thing = "dev1";
    Profile profile = default_profile();
    std::uint64_t seed = 1;
    std::string_view shadow_base_url = "https://data.example.com";
    ImageVersion running{1, 0, 0, 0};
    ImageVersion new_image{1, 0, 1, 0}; ///< the version the boot model finds in the slot
    std::uint32_t slot_size = kSlotCapacity;
    std::uint32_t page_size = 4096;
    std::uint32_t write_block = 4;
    std::uint32_t checks = kMqtt | kHttp | kBoot;
};

/// The slot's bytes, a base so that they exist before FakeDevice fills them.
struct SlotStorage {
    std::array<std::uint8_t, kSlotCapacity> slot_bytes;
};

/// Output categories a script checks ('<' lines; see Check); others are recorded, not compared.
class Harness final : SlotStorage, public FakeDevice, Mqtt, Http, Timers, Log {
public:
    explicit Harness(const Setup& setup);
    Harness(const Harness&) = delete;
    Harness& operator=(const Harness&) = delete;

    /// Run a script (lines separated by '\n'); false with failure() set on the first mismatch.
    bool run(std::string_view script);
    /// Execute one line (any kind). False on failure.
    bool step(std::string_view line);
    /// True when every expected output has been seen (call after the last line).
    bool finish();

    std::string_view failure() const { return {failure_.data(), failure_length_}; }
    Agent* agent() { return agent_ ? &*agent_ : nullptr; }
    std::uint32_t last_request_id() const { return request_id_; }
    /// Called for every port call, checked or not (host tests may collect them).
    void set_observer(void (*observer)(void* context, std::string_view line), void* context) {
        observer_ = observer;
        observer_context_ = context;
    }

private:
    // Mqtt
    void connect() override;
    PortStatus subscribe(std::string_view topic_filter) override;
    PortStatus unsubscribe(std::string_view topic_filter) override;
    PortStatus publish(std::string_view topic, std::string_view payload) override;
    // Http
    PortStatus start(const HttpRequest& request) override;
    void cancel(std::uint32_t request_id) override;
    // FakeDevice
    void port_called(Check category, std::string_view call, std::string_view detail) override;
    void violation(std::string_view what) override;
    // Timers
    void start(TimerId id, std::uint32_t delay_ms) override;
    void cancel(TimerId id) override;
    // Log
    void event(LogLevel level, Event event, std::string_view detail) override;

    void emit(Check category, std::string_view a, std::string_view b = {}, std::string_view c = {},
              std::string_view d = {});
    void fail(std::string_view a, std::string_view b = {}, std::string_view c = {});
    bool check_pending_outputs();
    bool input(std::string_view line);
    bool assertion(std::string_view line);
    void power_on();

    Setup setup_;
    Ports ports_;
    std::optional<Agent> agent_;

    // script position
    std::string_view peek_line() const;
    void advance_line();

    std::string_view script_;
    std::size_t next_line_ = 0; ///< offset of the next unprocessed line in script_
    bool failed_ = false;
    std::array<char, 512> failure_{};
    std::size_t failure_length_ = 0;
    std::array<char, kMaxUrlLength + 256> line_{};
    void (*observer_)(void*, std::string_view) = nullptr;
    void* observer_context_ = nullptr;

    // HTTP
    std::uint32_t request_id_ = 0;
    std::uint32_t request_first_ = 0;
    std::uint32_t request_next_ = 0;
};

} // namespace fota::script
