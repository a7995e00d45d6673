// A small asynchronous HTTP/1.1 server (Boost.Beast) for request -> response APIs whose answers
// may come from another thread (the control plane hands calls to the broker thread and answers
// when they return). One io_context; each connection on its own strand; keep-alive; HTTPS when
// configured with a TLS context.
#pragma once

#include "fota/cloud/http/sigv4.hpp"
#include "fota/cloud/http/tls_server.hpp"

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace fota::cloud::http {

struct RestResponse {
    unsigned status = 200;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
};

/// Delivers the response of one request. Call it exactly once, from any thread; calls after the
/// first, or after the connection is gone, are ignored.
using RestResponder = std::function<void(RestResponse)>;

/// Handles one request (the SigV4Request carries method, raw target, headers and body). Runs on
/// the connection's strand; must not block: answer through the responder, now or later.
using RestHandler = std::function<void(SigV4Request request, RestResponder respond)>;

struct RestServerConfig {
    std::string address = "127.0.0.1";
    std::uint16_t port = 0; ///< 0: a free port (read it back with port())
    std::uint64_t max_body_size = 1024 * 1024;
    std::chrono::seconds idle_timeout{120};
    TlsContext tls; ///< set: HTTPS only (make_server_tls_context); null: plain HTTP
};

class RestServer {
public:
    RestServer(boost::asio::io_context& io, RestServerConfig config, RestHandler handler);
    ~RestServer();
    RestServer(const RestServer&) = delete;
    RestServer& operator=(const RestServer&) = delete;

    /// Binds and starts accepting. Throws std::system_error when the address cannot be bound.
    void start();
    /// Stops accepting and closes open connections (asynchronously, on the io_context).
    void stop();
    [[nodiscard]] std::uint16_t port() const;
    [[nodiscard]] std::string endpoint() const; ///< "http://address:port" ("https://" with tls)

private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

} // namespace fota::cloud::http
