// An HTTP endpoint for Prometheus (Boost.Beast): GET /metrics answers the text a callback makes;
// any other path is 404. Keep-alive, TCP_NODELAY, one strand per connection.
#pragma once

#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace fota::sim::fleet {

struct MetricsServerOptions {
    std::string address = "127.0.0.1"; ///< an IP address (0.0.0.0 for every interface)
    std::uint16_t port = 0;            ///< 0: a free port the kernel picks (read it with port())
};

class MetricsServer {
public:
    /// Makes the exposition text of one scrape (e.g. prometheus_text of a snapshot). Called on
    /// the server's thread, once per GET /metrics: the caller makes what it reads thread-safe.
    /// An exception from it answers 500 with its message.
    using Source = std::function<std::string()>;

    /// Listens at once and serves on a thread of its own. Throws std::system_error naming the
    /// address and port when it cannot listen there (taken, not an address of this host, ...).
    MetricsServer(MetricsServerOptions options, Source source);
    /// Listens at once (throws as above) and serves on `io`, which the caller runs and keeps
    /// alive until this server is destroyed.
    MetricsServer(boost::asio::io_context& io, MetricsServerOptions options, Source source);
    ~MetricsServer(); ///< stop()
    MetricsServer(const MetricsServer&) = delete;
    MetricsServer& operator=(const MetricsServer&) = delete;

    /// The port it listens on (the one picked when the options said 0).
    [[nodiscard]] std::uint16_t port() const;
    /// "http://address:port/metrics".
    [[nodiscard]] std::string url() const;
    /// Stops listening and closes open connections; with its own thread, joins it. Idempotent.
    void stop();

private:
    struct OwnThread;
    struct Impl;
    std::unique_ptr<OwnThread> own_; ///< the io_context and thread of the first constructor
    std::shared_ptr<Impl> impl_;
};

} // namespace fota::sim::fleet
