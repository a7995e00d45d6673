// The FOTA core as a firmware links it, for its size and nothing else: the agent with stub ports,
// every input reachable with data the compiler cannot see, both profiles selectable. Linked for
// the Cortex-M33 with --gc-sections; scripts/core-size reads its .text/.data/.bss and the size of
// fota_size_probe_agent (= sizeof(fota::Agent)) and checks them against issue 17's budget. Never
// run: there is no startup code, only the reachable code that a real firmware would carry.
#include "fota/agent.hpp"

#include <cstddef>
#include <cstdint>
#include <new>

namespace {

using namespace fota;

class StubPorts final : public Mqtt,
                        public Http,
                        public Flash,
                        public Boot,
                        public Store,
                        public Timers,
                        public Log {
public:
    void connect() override {}
    PortStatus subscribe(std::string_view) override { return PortStatus::Ok; }
    PortStatus unsubscribe(std::string_view) override { return PortStatus::Ok; }
    PortStatus publish(std::string_view, std::string_view) override { return PortStatus::Ok; }
    PortStatus start(const HttpRequest&) override { return PortStatus::Ok; }
    void cancel(std::uint32_t) override {}
    FlashGeometry geometry() const override { return {4096 * 200, 4096, 4}; }
    PortStatus erase(std::uint32_t, std::uint32_t) override { return PortStatus::Ok; }
    PortStatus write(std::uint32_t, std::span<const std::uint8_t>) override {
        return PortStatus::Ok;
    }
    PortStatus sha256(std::uint32_t, Digest&) override { return PortStatus::Ok; }
    BootInfo boot_info() const override { return {}; }
    PortStatus request_upgrade(bool) override { return PortStatus::Ok; }
    PortStatus confirm() override { return PortStatus::Ok; }
    void reboot() override {}
    PortStatus load(std::span<std::uint8_t>, std::size_t&) override { return PortStatus::NotFound; }
    PortStatus save(std::span<const std::uint8_t>) override { return PortStatus::Ok; }
    void start(TimerId, std::uint32_t) override {}
    void cancel(TimerId) override {}
    void event(LogLevel, Event, std::string_view) override {}
};

StubPorts stubs;

} // namespace

extern "C" {
// Inputs the compiler cannot predict: a real firmware's network, flash and timers.
volatile std::uint32_t fota_size_probe_input;
volatile bool fota_size_probe_verified;
const char* volatile fota_size_probe_text;
volatile std::size_t fota_size_probe_length;

// The agent's storage, named so that nm shows sizeof(fota::Agent).
alignas(fota::Agent) unsigned char fota_size_probe_agent[sizeof(fota::Agent)];

[[noreturn]] void __cxa_pure_virtual() {
    while (true) {
    }
}

[[noreturn]] void fota_size_probe_entry() {
    AgentConfig config;
    config.thing_name = "probe";
    config.shadow_base_url = "https://data.example.com";
    config.profile = fota_size_probe_verified ? verified_profile() : default_profile();
    const Ports ports{stubs, stubs, stubs, stubs, stubs, stubs, stubs};
    Agent& agent = *::new (fota_size_probe_agent) Agent(config, ports);
    agent.on_boot();
    while (true) {
        const std::string_view text(fota_size_probe_text, fota_size_probe_length);
        const std::uint32_t input = fota_size_probe_input;
        const std::uint32_t id = input >> 8;
        switch (input & 0xFF) {
        case 0:
            agent.on_connected(id != 0);
            break;
        case 1:
            agent.on_disconnected();
            break;
        case 2:
            agent.on_message(text, text);
            break;
        case 3:
            agent.on_http_status(id, static_cast<int>(text.size()));
            break;
        case 4:
            agent.on_http_header(id, text, text);
            break;
        case 5:
            agent.on_http_body(
                id, std::span<const std::uint8_t>(
                        reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
            break;
        case 6:
            agent.on_http_done(id);
            break;
        case 7:
            agent.on_http_error(id, static_cast<HttpError>(id % 6));
            break;
        default:
            agent.on_timer(static_cast<TimerId>(id % kTimerCount));
            break;
        }
    }
}
}
