// The ports of the FOTA core: small interfaces the platform implements (Paho/libcurl/Asio/fake
// flash on Linux; MQTT, download client, flash driver, MCUboot, settings and k_timer on the
// nRF9160). The core acts only through them and never reads a clock, blocks or allocates.
//
// Rules for every implementation:
// - A port call never calls back into the Agent synchronously. Results arrive later through the
//   Agent's input functions (on_connected, on_message, on_http_*, on_timer), on the same thread or
//   strand that drives the Agent.
// - Strings and spans passed to a port are valid only during the call; copy what you keep.
// - The ports have no virtual destructor on purpose (no heap, no deleting destructor on the
//   target): the platform owns the objects and their lifetime.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace fota {

/// Result of a port call.
enum class PortStatus : std::uint8_t {
    Ok,           ///< done (or, for asynchronous calls, accepted for sending)
    NotConnected, ///< MQTT is down: nothing was queued; the agent retries after on_connected
    Busy,         ///< the platform cannot take the request now (queue full); retry later
    NotFound,     ///< Store::load: no record has been saved yet
    Error,        ///< anything else (flash failure, bad argument)
};

/// An MCUboot image version: major.minor.revision+build.
struct ImageVersion {
    std::uint8_t major = 0;
    std::uint8_t minor = 0;
    std::uint16_t revision = 0;
    std::uint32_t build = 0;
    friend constexpr bool operator==(const ImageVersion&, const ImageVersion&) = default;
};

/// MQTT 3.1.1 session to AWS IoT (or the local Mosquitto with the Jobs/Shadow plugin).
/// The client ID is the thing name. All subscriptions and publishes are QoS 1, retain false.
class Mqtt {
public:
    /// Ask the platform to open the MQTT session and to keep it open (reconnecting with its own
    /// backoff after a loss) for the rest of this boot. The agent calls it once per boot, after
    /// the boot-time shadow report when that goes over HTTPS. State changes arrive as
    /// Agent::on_connected / Agent::on_disconnected.
    virtual void connect() = 0;
    /// SUBSCRIBE one topic filter at QoS 1. NotConnected: nothing was sent.
    virtual PortStatus subscribe(std::string_view topic_filter) = 0;
    /// UNSUBSCRIBE one topic filter. NotConnected: nothing was sent.
    virtual PortStatus unsubscribe(std::string_view topic_filter) = 0;
    /// PUBLISH at QoS 1, retain false. Ok means queued for sending (PUBACK is the platform's
    /// business; the agent relies on the Jobs accepted/rejected replies instead).
    virtual PortStatus publish(std::string_view topic, std::string_view payload) = 0;

protected:
    ~Mqtt() = default;
};

enum class HttpMethod : std::uint8_t { Get, Post };

/// One HTTP(S) request. GETs of the firmware image always carry a Range; the shadow data-plane
/// update is a POST with a JSON body.
struct HttpRequest {
    std::uint32_t id = 0; ///< echoed in every Agent::on_http_* call for this request
    HttpMethod method = HttpMethod::Get;
    std::string_view url; ///< absolute http:// or https:// URL, port and query included
    bool has_range = false;
    std::uint32_t range_start = 0; ///< "Range: bytes=range_start-range_end" (inclusive)
    std::uint32_t range_end = 0;
    std::string_view body;         ///< POST only
    std::string_view content_type; ///< POST only
};

/// Transport failures of an HTTP request (HTTP status codes are not errors here).
enum class HttpError : std::uint8_t {
    Timeout,         ///< connect or receive timed out inside the platform
    ConnectionReset, ///< the peer closed or reset the connection mid-response
    ConnectFailed,   ///< refused or unreachable
    NameResolution,  ///< DNS failure
    Tls,             ///< handshake or certificate failure
    Other,
};

/// HTTP client (libcurl multi on Asio; the download client on the nRF9160).
/// For a started request the platform calls, in order: Agent::on_http_status once (again after a
/// redirect it followed, which discards earlier headers), Agent::on_http_header for each response
/// header, Agent::on_http_body for each chunk of the body, then exactly one of
/// Agent::on_http_done or Agent::on_http_error. After cancel(id) it calls nothing more for id.
/// The platform must not follow redirects across hosts silently changing the Range semantics;
/// it must not decompress (no Accept-Encoding).
class Http {
public:
    /// Start a request. Ok: callbacks will follow. Anything else: nothing will follow.
    virtual PortStatus start(const HttpRequest& request) = 0;
    /// Abort request id if it is running; no callback for it follows. Unknown ids are ignored.
    virtual void cancel(std::uint32_t request_id) = 0;

protected:
    ~Http() = default;
};

/// Geometry of the secondary (update) slot as the Flash port exposes it.
struct FlashGeometry {
    std::uint32_t slot_size = 0;        ///< bytes usable for the image (trailer excluded)
    std::uint32_t erase_page_size = 0;  ///< erase unit (4096 on the nRF9160)
    std::uint32_t write_block_size = 0; ///< write unit (4 on the nRF9160); a power of two
};

/// The MCUboot secondary slot, addressed from its start. Offsets and lengths obey the geometry:
/// erase() takes whole pages, write() whole write blocks onto erased flash (NOR: a write only
/// clears bits). The core erases each page lazily right before its first write, like Zephyr's
/// stream_flash, and has the image read back and hashed (sha256) before requesting the upgrade.
/// Chosen over a "DFU target" (init/write/finish) port because resuming after a power cut needs
/// the core to know which pages are erased and where the persisted offset lies; MCUboot's own
/// trailer handling stays in the Boot port.
/// The SHA-256 is the platform's too (issue 17: the core carries no hash code): on the nRF9160 the
/// CC310 through nrf_security (or Zephyr's flash_img_check), on the host a software one.
class Flash {
public:
    using Digest = std::array<std::uint8_t, 32>;

    virtual FlashGeometry geometry() const = 0;
    virtual PortStatus erase(std::uint32_t offset, std::uint32_t length) = 0;
    virtual PortStatus write(std::uint32_t offset, std::span<const std::uint8_t> data) = 0;
    /// SHA-256 (FIPS 180-4) of the slot's first length bytes, as they read back from flash.
    virtual PortStatus sha256(std::uint32_t length, Digest& digest) = 0;

protected:
    ~Flash() = default;
};

/// What the boot loader did on the way to this boot.
struct BootInfo {
    ImageVersion running;  ///< version of the image now executing
    bool confirmed = true; ///< false while a test image runs unconfirmed (MCUboot image_ok unset)
    bool reverted = false; ///< this boot reverted an unconfirmed test image
};

/// MCUboot and reset (the fake_flash boot model on Linux).
class Boot {
public:
    virtual BootInfo boot_info() const = 0;
    /// Mark the secondary slot for swap at the next reset: test (revert unless confirmed) or
    /// permanent. Idempotent.
    virtual PortStatus request_upgrade(bool permanent) = 0;
    /// Confirm the running image (image_ok) so that it is kept after the next reset.
    virtual PortStatus confirm() = 0;
    /// Reset the device. On hardware it never returns; on the host the runtime destroys this
    /// agent after the call returns. It is always the agent's last port call of a boot.
    virtual void reboot() = 0;

protected:
    ~Boot() = default;
};

/// One small persisted record (settings/NVS on the nRF9160; a storage partition of the fake
/// flash on Linux). save() must be atomic: after a power cut load() returns either the previous
/// or the new record, never a mix.
class Store {
public:
    /// Copy the record into out and set length. NotFound if none was ever saved; Error if out is
    /// too small or the medium failed.
    virtual PortStatus load(std::span<std::uint8_t> out, std::size_t& length) = 0;
    virtual PortStatus save(std::span<const std::uint8_t> record) = 0;

protected:
    ~Store() = default;
};

/// The agent's one-shot timers.
enum class TimerId : std::uint8_t {
    DownloadRetry,  ///< backoff before the next HTTP attempt
    DownloadStall,  ///< no progress on the running HTTP request
    UpdateResponse, ///< no accepted/rejected for a published job update: publish it again
    JobCheck,       ///< describe the job in hand (cancellation check during a download)
    ShadowRetry,    ///< backoff before the next HTTPS shadow report attempt
};
inline constexpr std::size_t kTimerCount = 5;

/// One-shot timers (Asio steady timers or virtual time on Linux; k_timer on the nRF9160).
class Timers {
public:
    /// (Re)start timer id: Agent::on_timer(id) after delay_ms, unless cancelled or restarted.
    virtual void start(TimerId id, std::uint32_t delay_ms) = 0;
    /// Stop timer id; no on_timer(id) follows until the next start. Idle timers are ignored.
    virtual void cancel(TimerId id) = 0;

protected:
    ~Timers() = default;
};

enum class LogLevel : std::uint8_t { Debug, Info, Warning, Error };

/// The agent's log events, as codes: their stable names ("job_taken", "download_retry", ...) are
/// outside the core, in fota/names.hpp, for the Log port to print (or a firmware logs the
/// code and a host decodes it, as Zephyr's dictionary logging does): issue 17.
enum class Event : std::uint8_t {
    Boot,
    InvalidConfig,
    StateDiscarded,
    UpdateBooted,
    UpgradeNotApplied,
    UpdateFailed,
    RollbackAfterSuccess,
    ShadowReportSkipped,
    ShadowReported,
    ShadowRetry,
    ShadowReportFailed,
    MqttConnected,
    MqttDisconnected,
    ImageConfirmed,
    ConfirmFailed,
    MessageIgnored,
    NextJobQueryRejected,
    StaleUpdateReply,
    JobMessageUnusable,
    DuplicateJobIgnored,
    NoPendingJob,
    AbandonedJobIgnored,
    JobTaken,
    JobDocumentInvalid,
    JobAbandoned,
    JobFailed,
    DescribeRejected,
    DescribeReplyUnusable,
    UrlRefreshed,
    UnexpectedUpdateReply,
    UpdateReplyUnreadable,
    UpdateAlreadyApplied,
    VersionResync,
    UpdateResend,
    DownloadStarted,
    JobSucceeded,
    JobFailedReported,
    RequestUpgradeFailed,
    Rebooting,
    DownloadResume,
    DownloadRetry,
    DownloadRestart,
    UrlRefresh,
    FlashEraseFailed,
    FlashWriteFailed,
    DownloadComplete,
    StateSaveFailed,
    MessageNotBuilt,
    PublishFailed,
};
inline constexpr std::size_t kEventCount = 49;

/// Structured events: an event code and a short detail (a token, a number, a job ID, a topic).
/// The platform adds the thing name and time.
class Log {
public:
    virtual void event(LogLevel level, Event event, std::string_view detail) = 0;

protected:
    ~Log() = default;
};

/// Everything the agent acts through. Randomness (jitter, clientTokens) comes from the seed in
/// AgentConfig rather than a port, so that a recorded run replays from its inputs alone.
struct Ports {
    Mqtt& mqtt;
    Http& http;
    Flash& flash;
    Boot& boot;
    Store& store;
    Timers& timers;
    Log& log;
};

} // namespace fota
