// One simulated nRF9160 running the FOTA core: the boot model over its fake flash, then the core
// with its ports (MQTT, HTTP, timers, the fake flash's slot, boot model and store). Everything it
// needs from the world (posting work, the clock, timers, the MQTT session and HTTP client) comes
// from its DeviceHost: Paho, libcurl and timers on one strand of a shared io_context
// (make_asio_device_host), or a virtual clock and an in-memory network. A reboot drops the core
// and its connections, runs the boot model over the flash and builds the core again from what the
// flash and the store hold; a power cut does the same without a clean shutdown.
#pragma once

#include "fota/sim/asio_device_host.hpp"
#include "fota/sim/device_host.hpp"

#include <fota/profile.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace fota::sim {

/// Everything that makes one device.
struct DeviceOptions {
    std::string thing_name;
    /// The MQTT broker (AWS IoT endpoint, or the local Mosquitto with the Jobs/Shadow plugin).
    std::string mqtt_host = "127.0.0.1";
    std::uint16_t mqtt_port = 1883;
    bool mqtt_tls = false;
    std::string ca_file;   ///< CA for the broker and for https (empty: system store for https)
    std::string cert_file; ///< client certificate (AWS IoT: MQTT on 8883 and shadow on 8443)
    std::string key_file;
    std::uint32_t keep_alive_s = 60;
    std::uint32_t reconnect_min_ms = 1'000;
    std::uint32_t reconnect_max_ms = 60'000;
    /// false: a persistent MQTT session (the broker keeps subscriptions and queued QoS 1
    /// messages across reconnects and reboots).
    bool clean_session = true;
    /// The MQTT client on the Asio host (DeviceRuntime(AsioContext&, ...)); another host makes
    /// its own.
    MqttImplementation mqtt_client = MqttImplementation::paho;
    /// "https://<endpoint>:8443" (AWS) or the local control plane's URL: the shadow data plane
    /// the core POSTs the firmware version to at boot (profile ShadowTransport::Https).
    std::string shadow_base_url;
    bool verify_tls = true;

    /// Flash: empty = RAM (lost when the process ends); else a backing file kept across runs.
    std::string flash_file;
    /// flash::Geometry's one-line form ("size=2MiB,page=4KiB,write=4,erased=0xff") and a
    /// partition layout (flash::PartitionTable); empty: the nRF9160's.
    std::string flash_geometry;
    std::string flash_layout;
    /// Installed into the primary slot when the flash holds no bootable image: an MCUboot image
    /// file, or a test image built for this version (e.g. "1.0.0").
    std::string image_file;
    std::string firmware_version = "1.0.0";
    std::uint32_t image_size = 64 * 1024; ///< size of the built test image

    Profile profile = default_profile();
    std::uint64_t seed = 1;

    /// Record the core's inputs and outputs, every boot, to this file (JSON lines, see
    /// simulator/record/README.md; `fota-sim replay` replays it); empty: no recording.
    std::string record_file;

    /// A fault plan (flash::FaultPlan's one-line form) armed at the first power-on, once the
    /// initial image is in place: its operations count from there, the boot loader's included
    /// (fota-sim sweep and `run --cut-at`). A power cut of the plan keeps the power off for
    /// first_power_on_off_for. Empty: none.
    std::string first_power_on_faults;
    std::chrono::milliseconds first_power_on_off_for{0};
};

/// Where the device is in its life.
enum class DeviceState : std::uint8_t {
    Off,       ///< not started, or stopped
    Running,   ///< the core runs
    Rebooting, ///< between boots
    Bricked,   ///< the boot model found no image to boot
};

std::string_view to_string(DeviceState state);

/// What tests and reports read.
struct DeviceStatus {
    DeviceState state = DeviceState::Off;
    std::string running_version; ///< "1.2.3" (the +build part omitted when 0)
    bool confirmed = false;
    bool reverted_last_boot = false;
    std::uint32_t boots = 0;
    std::uint32_t power_cuts = 0;
    /// Flash writes and page erases since the first power-on (installing the initial image is
    /// not counted; first_power_on_faults count the same operations).
    std::uint64_t flash_operations = 0;
    /// Boots at which the boot loader reverted an unconfirmed image, and boots at which it
    /// rejected (and erased) a requested image that failed validation.
    std::uint32_t reverts = 0;
    std::uint32_t images_rejected = 0;
    bool mqtt_connected = false;
    std::string phase;  ///< the core's phase
    std::string job_id; ///< the job in hand, if any
    std::uint32_t jobs_taken = 0;
    std::uint64_t download_bytes = 0; ///< HTTP body bytes received, all boots
    std::uint64_t http_requests = 0;
    std::uint64_t http_connections = 0;
    std::uint32_t download_retries = 0; ///< the core's retries after failed or stalled requests
    std::uint64_t mqtt_connections = 0; ///< sessions established, all boots
    std::uint64_t messages_lost = 0;    ///< dropped by the lose_next_message fault
    std::string last_error;
};

/// One device. Construct, start(); everything else must be called in the host's context (the
/// device's strand on Asio; use post()). Handlers and timers run there.
class DeviceRuntime {
public:
    /// On `host`, which the device keeps until it is destroyed.
    DeviceRuntime(std::shared_ptr<DeviceHost> host, DeviceOptions options);
    /// On a new strand of `io` (make_asio_device_host): Paho, libcurl, the steady clock. The
    /// io_context may run on several threads.
    DeviceRuntime(AsioContext& io, DeviceOptions options);
    ~DeviceRuntime();
    DeviceRuntime(const DeviceRuntime&) = delete;
    DeviceRuntime& operator=(const DeviceRuntime&) = delete;

    /// Power on: open the flash (installing the initial image if none boots), boot, run the core.
    /// Errors (a flash file that cannot be used, a bad image file) leave the device Off with
    /// status().last_error set. Posted: it runs in the host's context later; with the Asio host it
    /// may be called from any thread before the io_context runs.
    void start();
    /// Shut down cleanly (MQTT DISCONNECT), keep the flash. In the host's context.
    void stop();

    /// Run work in the device host's context (DeviceHost::post).
    void post(std::function<void()> work);

    /// A snapshot; call in the host's context, or with the host stopped.
    DeviceStatus status() const;
    /// Bytes [offset, offset + length) of the flash as they are (no counters move, no fault
    /// applies); empty when the flash is not open yet or the range is outside it. In the host's
    /// context, or with the host stopped.
    std::string read_flash(std::uint64_t offset, std::size_t length) const;
    const DeviceOptions& options() const;

    /// Called in the host's context after every boot (with the new status).
    void on_boot(std::function<void(const DeviceStatus&)> handler);

    /// Called in the host's context, synchronously, for every event the core logs (its name, e.g.
    /// "job_taken", and detail) and for the runtime's own: "boot" (an image runs), "rebooting",
    /// "power_cut", "swapping" (the boot loader is about to swap, or resumes a swap),
    /// "boot_failed", "download_first_byte" (the first image byte since the core started or resumed
    /// a download), and "mqtt_published" ("<topic> <payload>" of every publish the core made; not
    /// logged). A handler may call cut_power() (and only that) on this device.
    using EventHandler = std::function<void(std::string_view name, std::string_view detail)>;
    void on_event(EventHandler handler);

    // ---- device-side faults (in the host's context) ---------------------------------------------
    /// Reboot now as the hardware would on a watchdog: no clean shutdown of the core.
    void reboot();
    /// A reboot asked for from outside (a user, a remote command): MQTT DISCONNECT first.
    void reboot_cleanly();
    /// Cut the power at once and power on again (cut_power with no time off).
    void power_cut();
    /// Cut the power before flash operation `operation` (1-based, counted from now; torn: the
    /// operation is half done). The device reboots when the cut happens.
    void power_cut_at_flash_operation(std::uint64_t operation, bool torn = false,
                                      std::uint64_t seed = 0);
    /// Cut the power now; power returns after off_for. Safe inside an event handler: nothing of
    /// the core runs after the call (no publish, no flash write, no timer).
    void cut_power(std::chrono::milliseconds off_for);
    /// Cut the power once this boot's download has received `bytes` more body bytes.
    void cut_power_at_download_byte(std::uint64_t bytes, std::chrono::milliseconds off_for);
    /// Cut the power during the boot loader's next swap (or resumed swap), before a flash
    /// operation chosen from `seed` among its first pages; power returns after off_for.
    void cut_power_during_swap(std::chrono::milliseconds off_for, std::uint64_t seed);
    /// Arms a fake-flash fault plan (its one-line form, flash::FaultPlan), counted from now (from
    /// the first power-on when the device has not powered on yet); a power cut of the plan keeps
    /// the power off for off_for. Returns an error message, or empty.
    std::string arm_flash_faults(const std::string& plan_line, std::chrono::milliseconds off_for);
    /// Drop the MQTT connection now; the device reconnects with its backoff.
    void drop_mqtt();
    /// Drop the MQTT connection when the download has received `bytes` body bytes (this boot).
    void drop_mqtt_at_download_byte(std::uint64_t bytes);
    /// The next MQTT message to arrive (on a topic ending with topic_suffix, when given) never
    /// reaches the core.
    void lose_next_message(std::string topic_suffix = {});
    /// Stall HTTP: running and future transfers stop delivering (the core's stall timer fires)
    /// until unstall_http().
    void stall_http();
    void unstall_http();
    /// Stall HTTP for `duration`, now or once this boot's download has received `bytes` more
    /// body bytes.
    void stall_http_for(std::chrono::milliseconds duration);
    void stall_http_at_download_byte(std::uint64_t bytes, std::chrono::milliseconds duration);
    /// No network for `duration`: MQTT is lost and cannot reconnect (attempts fail, the backoff
    /// grows), HTTP delivers nothing; also across reboots within the duration.
    void go_offline(std::chrono::milliseconds duration);

    class Impl;

private:
    std::shared_ptr<Impl> impl_;
};

} // namespace fota::sim
