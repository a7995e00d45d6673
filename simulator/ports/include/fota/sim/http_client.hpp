// An HTTP(S) client for one device: a libcurl multi handle driven by Boost.Asio. curl's socket
// and timer callbacks become asynchronous waits on the device's strand, so a thousand devices
// share a few threads and no transfer has a thread of its own. Connections are kept in the multi
// handle's cache and reused between the Range requests of a download.
#pragma once

#include "fota/sim/http_types.hpp"

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
