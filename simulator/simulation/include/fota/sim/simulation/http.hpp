// HTTP in the deterministic simulation: servers are endpoints on an in-memory network
// (SimHttpNetwork, one per host:port), and SimHttpClient implements a device's HTTP port
// (fota/sim/http_client.hpp) as the libcurl client does: start/cancel/pause/resume, handlers in
// the same order, never inside start() or cancel(). Everything is an event on the Scheduler: a
// new connection costs a round trip (and may be refused), the request one way, the answer's head
// one way, and the body follows in chunks of kChunkSize, each through the connection's link
// (latency + seeded jitter, in order), paced and paused as the answer's plan says (the object
// server's fault knobs). Idle connections are kept for reuse, as curl keeps them.
#pragma once

#include "fota/sim/simulation/network.hpp"
#include "fota/sim/simulation/scheduler.hpp"

#include "fota/cloud/object_store.hpp"
#include "fota/cloud/response_plan.hpp"
#include "fota/sim/http_client.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace fota::sim::simulation {

/// One simulated HTTP server (one host:port): what a connection and a request get.
class SimHttpEndpoint {
public:
    virtual ~SimHttpEndpoint() = default;
    /// A new connection reaches the server: false resets it before a byte is read.
    virtual bool accept_connection() { return true; }
    /// The answer to one request (body, faults and all).
    virtual cloud::ResponsePlan handle(const cloud::ObjectRequest& request) = 0;
    /// `bytes` more of `plan`'s body left the server.
    virtual void body_sent(const cloud::ResponsePlan& /*plan*/, std::uint64_t /*bytes*/) {}
    /// `plan`'s response ended: the whole body sent, or cut short (fault, client gone).
    virtual void response_ended(cloud::ResponsePlan& /*plan*/, bool /*complete*/) {}
    /// The server closes connections idle this long.
    [[nodiscard]] virtual Duration idle_timeout() const { return std::chrono::seconds(120); }
};

/// The parts of an absolute URL a simulated client needs.
struct SimUrl {
    std::string scheme;    ///< "http" or "https"
    std::string host;      ///< lower case
    std::uint16_t port{0}; ///< the default of the scheme when the URL has none
    std::string authority; ///< host[:port] as written (what the Host header carries)
    std::string target;    ///< path and query, "/" when empty
};

/// Splits "scheme://host[:port][/path][?query]"; nullopt when it is not such a URL.
std::optional<SimUrl> parse_sim_url(std::string_view url);

/// The servers of the simulated world, by host:port.
class SimHttpNetwork {
public:
    explicit SimHttpNetwork(Scheduler& scheduler, NetworkOptions options = {});
    SimHttpNetwork(const SimHttpNetwork&) = delete;
    SimHttpNetwork& operator=(const SimHttpNetwork&) = delete;

    /// Serves `endpoint` at `url` ("http://host[:port]", port 80 when omitted) until
    /// remove_endpoint(); `endpoint` must outlive that. Throws std::invalid_argument for any
    /// other URL, or when host:port is already served.
    void add_endpoint(const std::string& url, SimHttpEndpoint& endpoint);
    void remove_endpoint(const std::string& url);
    /// The server at host:port, or nullptr.
    [[nodiscard]] SimHttpEndpoint* find(const std::string& host, std::uint16_t port) const;
    /// Whether any server has this host name (else a client's lookup fails).
    [[nodiscard]] bool knows_host(const std::string& host) const;

    Scheduler& scheduler() { return scheduler_; }
    [[nodiscard]] const NetworkOptions& options() const { return options_; }

private:
    Scheduler& scheduler_;
    NetworkOptions options_;
    std::map<std::pair<std::string, std::uint16_t>, SimHttpEndpoint*> endpoints_;
};

/// A device's HTTP client on the simulated network (see the top of this file). http:// only:
/// an https:// URL or a port nobody serves fails with ConnectFailed, an unknown host with
/// NameResolution. A refused connection, a body cut short (close_after_bytes) or a server that
/// went away fail with ConnectionReset. Destroying the client aborts its transfers without
/// calling any handler.
class SimHttpClient final : public HttpClient {
public:
    /// Body bytes per delivery event.
    static constexpr std::uint64_t kChunkSize = 4096;

    explicit SimHttpClient(SimHttpNetwork& network, HttpClientOptions options = {});
    ~SimHttpClient() override;
    SimHttpClient(const SimHttpClient&) = delete;
    SimHttpClient& operator=(const SimHttpClient&) = delete;

    /// Starts a request; returns its id (never 0). Every outcome arrives as handler calls.
    std::uint64_t start(const HttpRequestSpec& request, HttpHandlers handlers) override;
    /// Aborts a running request (its connection is closed); no handler of it runs afterwards.
    /// Unknown ids are ignored.
    void cancel(std::uint64_t id) override;
    /// Holds back a request's events (the server keeps sending: flow control is not modelled)
    /// until resume(). Unknown ids are ignored.
    void pause(std::uint64_t id) override;
    /// Delivers what was held back (from an event, not inside this call), then the rest.
    void resume(std::uint64_t id) override;
    /// Aborts every request (as cancel) and closes idle connections.
    void cancel_all() override;

    [[nodiscard]] HttpClientStats stats() const override;

    class Impl;

private:
    std::shared_ptr<Impl> impl_;
};

} // namespace fota::sim::simulation
