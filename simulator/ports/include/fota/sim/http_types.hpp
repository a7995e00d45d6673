// The plain types of an HTTP client port: a request, the handlers its response is reported to,
// transport failures, options and counters. No I/O here (no Asio, no curl): the libcurl client
// (curl_http_client.hpp) and the deterministic simulation's client share them.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace fota::sim {

/// Transport failures (HTTP status codes are not failures here).
enum class HttpFailure : std::uint8_t {
    Timeout,         ///< connect or transfer timed out inside curl
    ConnectionReset, ///< the peer closed or reset the connection before the response ended
    ConnectFailed,   ///< refused or unreachable
    NameResolution,  ///< DNS failure
    Tls,             ///< handshake or certificate verification failure
    Other,
};

/// Readable name of a failure ("connection_reset", ...).
std::string_view to_string(HttpFailure failure);

/// Settings shared by every request of one client.
struct HttpClientOptions {
    std::string ca_file;          ///< CA bundle for https (empty: the system store)
    std::string client_cert_file; ///< PEM client certificate (the AWS shadow data plane needs one)
    std::string client_key_file;  ///< PEM private key of client_cert_file
    bool verify_tls = true;       ///< verify the server certificate and host name
    std::uint32_t connect_timeout_ms = 10'000;
    /// Idle connections kept for reuse (the first client of an io_context sets it for all).
    std::uint32_t max_cached_connections = 2;
    /// With no request for this long, the client lets go of its connections (their pool): an
    /// idle device holds no HTTP descriptor (fota-sim fleet: 10,000 devices in a
    /// 20,000-descriptor limit). 0: never. (The multi handle is the io_context's, one for all.)
    std::uint32_t release_idle_after_ms = 3'000;
};

/// One request. The strings are copied by start().
struct HttpRequestSpec {
    enum class Method : std::uint8_t { Get, Post };
    Method method = Method::Get;
    std::string url;                          ///< absolute http:// or https:// URL
    std::optional<std::uint64_t> range_start; ///< with range_end: "Range: bytes=start-end"
    std::optional<std::uint64_t> range_end;   ///< inclusive
    std::string body;                         ///< POST only
    std::string content_type;                 ///< POST only
};

/// What a request reports, in this order: on_status once, on_header per header, on_body per
/// chunk, then exactly one of on_done or on_error. All run on the client's strand, never inside
/// start() or cancel(). Any handler may call start() or cancel() on the same client.
struct HttpHandlers {
    std::function<void(int status)> on_status;
    std::function<void(std::string_view name, std::string_view value)> on_header;
    std::function<void(std::span<const std::uint8_t> chunk)> on_body;
    std::function<void()> on_done;
    std::function<void(HttpFailure failure, std::string_view message)> on_error;
};

/// Counters for tests and reports.
struct HttpClientStats {
    std::uint64_t requests_started = 0;
    std::uint64_t connections_opened = 0; ///< new TCP connections (reuse keeps this low)
    std::uint64_t body_bytes = 0;
    std::uint64_t connection_pools_made = 0; ///< one more after each idle release
};

} // namespace fota::sim
