// An HTTP(S) client for one device: a libcurl multi handle driven by Boost.Asio. curl's socket
// and timer callbacks become asynchronous waits on the device's strand, so a thousand devices
// share a few threads and no transfer has a thread of its own. Connections are kept in the multi
// handle's cache and reused between the Range requests of a download.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace fota::sim {

using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;

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
    std::uint32_t max_cached_connections = 2; ///< idle connections kept for reuse
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
};

/// The client. Every member function must be called on `strand`; handlers run there too.
/// Destroying the client aborts its transfers without calling any handler.
class HttpClient {
public:
    HttpClient(Strand strand, HttpClientOptions options);
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    /// Start a request; returns its id (never 0), or 0 with nothing to follow when the request
    /// cannot be set up (a malformed option). Failures to connect arrive as on_error.
    std::uint64_t start(const HttpRequestSpec& request, HttpHandlers handlers);
    /// Abort a running request; no handler of it runs afterwards. Unknown ids are ignored.
    void cancel(std::uint64_t id);
    /// Stop reading a request's response (the transfer stalls, the socket stays open) until
    /// resume(). Events already received are held back too. Unknown ids are ignored.
    void pause(std::uint64_t id);
    void resume(std::uint64_t id);
    /// Abort every request (as cancel) and close cached connections.
    void cancel_all();

    HttpClientStats stats() const;

    class Impl;

private:
    std::shared_ptr<Impl> impl_;
};

} // namespace fota::sim
