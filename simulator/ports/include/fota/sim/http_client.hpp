// An HTTP(S) client for one device, as the device runtime sees it: the options, request, handler
// and counter types, and the client's interface. Implemented on libcurl's multi interface driven
// by Boost.Asio (curl_http_client.hpp) and, for the deterministic simulation, on an in-memory
// network; a device gets its client from its DeviceHost.
#pragma once

#include "fota/sim/http_types.hpp"

#include <cstdint>

namespace fota::sim {

/// The client. Every member function must be called in the device host's context (the strand it
/// was made for); handlers run there too. Destroying the client aborts its transfers without
/// calling any handler.
class HttpClient {
public:
    virtual ~HttpClient() = default;
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    /// Start a request; returns its id (never 0), or 0 with nothing to follow when the request
    /// cannot be set up (a malformed option). Failures to connect arrive as on_error.
    virtual std::uint64_t start(const HttpRequestSpec& request, HttpHandlers handlers) = 0;
    /// Abort a running request; no handler of it runs afterwards. Unknown ids are ignored.
    virtual void cancel(std::uint64_t id) = 0;
    /// Stop reading a request's response (the transfer stalls, the connection stays open) until
    /// resume(). Events already received are held back too. Unknown ids are ignored.
    virtual void pause(std::uint64_t id) = 0;
    virtual void resume(std::uint64_t id) = 0;
    /// Abort every request (as cancel) and close cached connections.
    virtual void cancel_all() = 0;

    virtual HttpClientStats stats() const = 0;

protected:
    HttpClient() = default;
};

} // namespace fota::sim
