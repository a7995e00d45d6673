// A device's HTTP client on the simulated network (http.hpp). The server's side of each exchange
// (accepting, answering, sending the body as the plan says) runs here too, as events on the same
// scheduler; what crosses the network goes through the connection's two links.
#include "fota/sim/simulation/http.hpp"

#include <algorithm>
#include <deque>
#include <unordered_map>
#include <utility>
#include <vector>

namespace fota::sim::simulation {

namespace {

namespace bhttp = boost::beast::http;

struct Connection {
    std::string host;
    std::uint16_t port = 0;
    Link to_server;
    Link to_client;
    TimePoint idle_since{0};
};

/// What reaches the client, in order.
struct ClientEvent {
    enum class Kind : std::uint8_t { Status, Header, Body, Done, Error };
    Kind kind = Kind::Status;
    int status = 0;
    std::string name; ///< Header; Error: the message
    std::string value;
    std::shared_ptr<const std::string> data; ///< Body: data[offset, offset + length)
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
    bool reusable = false; ///< Done: the connection may carry the next request
    HttpFailure failure = HttpFailure::Other;
};

ClientEvent error_event(HttpFailure failure, std::string message) {
    ClientEvent e;
    e.kind = ClientEvent::Kind::Error;
    e.failure = failure;
    e.name = std::move(message);
    return e;
}

struct Transfer {
    HttpRequestSpec spec;
    SimUrl url;
    /// Shared, so a handler that cancels its own request stays alive until it returns.
    std::shared_ptr<HttpHandlers> handlers;
    std::shared_ptr<Connection> connection;
    std::deque<ClientEvent> inbox; ///< arrived, not yet handed to the handlers
    bool paused = false;
    // The server's side of the exchange.
    cloud::ResponsePlan plan;
    bool serving = false; ///< the plan's response has not ended
    std::uint64_t sent = 0;
    bool stalled = false;
    TimePoint throttle_start{0};
    std::uint64_t throttle_base = 0;
};

cloud::ObjectRequest make_request(const Transfer& t) {
    const bool post = t.spec.method == HttpRequestSpec::Method::Post;
    cloud::ObjectRequest request{post ? bhttp::verb::post : bhttp::verb::get, t.url.target, 11};
    request.set(bhttp::field::host, t.url.authority);
    request.set(bhttp::field::user_agent, "fota-sim");
    if (t.spec.range_start) {
        request.set(bhttp::field::range,
                    "bytes=" + std::to_string(*t.spec.range_start) + "-" +
                        (t.spec.range_end ? std::to_string(*t.spec.range_end) : std::string()));
    }
    if (post) {
        if (!t.spec.content_type.empty()) {
            request.set(bhttp::field::content_type, t.spec.content_type);
        }
        request.body() = t.spec.body;
        request.prepare_payload();
    }
    return request;
}

} // namespace

class SimHttpClient::Impl : public std::enable_shared_from_this<Impl> {
public:
    Impl(SimHttpNetwork& network, HttpClientOptions options)
        : network_(network), scheduler_(network.scheduler()), options_(std::move(options)) {}

    std::uint64_t start(const HttpRequestSpec& spec, HttpHandlers handlers) {
        const std::uint64_t id = next_id_++;
        ++stats_.requests_started;
        auto& t = transfers_[id];
        t.spec = spec;
        t.handlers = std::make_shared<HttpHandlers>(std::move(handlers));
        const auto url = parse_sim_url(spec.url);
        if (!url) {
            fail_soon(id, HttpFailure::Other, "malformed URL \"" + spec.url + "\"");
        } else if (!network_.knows_host(url->host)) {
            fail_soon(id, HttpFailure::NameResolution, "could not resolve host " + url->host);
        } else if (url->scheme != "http" || network_.find(url->host, url->port) == nullptr) {
            // A round trip to learn that the port is closed.
            send_to_client(id, HttpFailure::ConnectFailed,
                           "connection refused: nothing serves " + url->scheme + "://" +
                               url->authority + " in the simulation",
                           scheduler_.now() + 2 * network_.options().latency);
        } else {
            t.url = *url;
            if (auto reused = take_idle(*url)) {
                t.connection = std::move(reused);
                send_request(id);
            } else {
                open_connection(id);
            }
        }
        return id;
    }

    void cancel(std::uint64_t id) {
        const auto it = transfers_.find(id);
        if (it == transfers_.end()) {
            return;
        }
        end_serving(it->second, false);
        transfers_.erase(it);
    }

    void pause(std::uint64_t id) {
        if (const auto it = transfers_.find(id); it != transfers_.end()) {
            it->second.paused = true;
        }
    }

    void resume(std::uint64_t id) {
        const auto it = transfers_.find(id);
        if (it == transfers_.end() || !it->second.paused) {
            return;
        }
        it->second.paused = false;
        scheduler_.after(Duration(0), [weak = weak_from_this(), id] {
            if (auto self = weak.lock()) {
                self->drain(id);
            }
        });
    }

    void cancel_all() {
        std::vector<std::uint64_t> ids;
        ids.reserve(transfers_.size());
        for (const auto& [id, t] : transfers_) {
            ids.push_back(id);
        }
        std::sort(ids.begin(), ids.end());
        for (const auto id : ids) {
            cancel(id);
        }
        idle_.clear();
    }

    HttpClientStats stats() const { return stats_; }

private:
    // ---- the client's side ----

    /// Runs `action` at `when` if the client still exists.
    void at(TimePoint when, std::function<void(Impl&)> action) {
        scheduler_.at(when, [weak = weak_from_this(), action = std::move(action)] {
            if (auto self = weak.lock()) {
                action(*self);
            }
        });
    }

    void fail_soon(std::uint64_t id, HttpFailure failure, std::string message) {
        at(scheduler_.now(), [id, e = error_event(failure, std::move(message))](Impl& self) {
            self.arrive(id, {e});
        });
    }

    /// An error reaching the client at `when` (not through a link: nothing else follows it).
    void send_to_client(std::uint64_t id, HttpFailure failure, std::string message,
                        TimePoint when) {
        at(when, [id, e = error_event(failure, std::move(message))](Impl& self) {
            self.arrive(id, {e});
        });
    }

    /// Events from the server, sent now, arriving over the transfer's connection.
    void to_client(std::uint64_t id, Transfer& t, std::vector<ClientEvent> events) {
        at(t.connection->to_client.arrival(scheduler_, network_.options()),
           [id, events = std::move(events)](Impl& self) { self.arrive(id, events); });
    }

    void arrive(std::uint64_t id, const std::vector<ClientEvent>& events) {
        const auto it = transfers_.find(id);
        if (it == transfers_.end()) {
            return; // cancelled: the connection is gone, and whatever was on it
        }
        it->second.inbox.insert(it->second.inbox.end(), events.begin(), events.end());
        drain(id);
    }

    /// Hands queued events to the handlers until the transfer ends, pauses or runs dry.
    void drain(std::uint64_t id) {
        while (true) {
            const auto it = transfers_.find(id);
            if (it == transfers_.end() || it->second.paused || it->second.inbox.empty()) {
                return;
            }
            ClientEvent e = std::move(it->second.inbox.front());
            it->second.inbox.pop_front();
            dispatch(id, it->second, e);
        }
    }

    void dispatch(std::uint64_t id, Transfer& t, const ClientEvent& e) {
        const std::shared_ptr<HttpHandlers> handlers = t.handlers;
        switch (e.kind) {
        case ClientEvent::Kind::Status:
            if (handlers->on_status) {
                handlers->on_status(e.status);
            }
            return;
        case ClientEvent::Kind::Header:
            if (handlers->on_header) {
                handlers->on_header(e.name, e.value);
            }
            return;
        case ClientEvent::Kind::Body:
            stats_.body_bytes += e.length;
            if (handlers->on_body) {
                handlers->on_body(std::span<const std::uint8_t>(
                    reinterpret_cast<const std::uint8_t*>(e.data->data() + e.offset),
                    static_cast<std::size_t>(e.length)));
            }
            return;
        case ClientEvent::Kind::Done:
        case ClientEvent::Kind::Error:
            break;
        }
        // The end: the transfer is forgotten first, so its handler may start the next request
        // (on the same connection, when it is reusable).
        if (e.kind == ClientEvent::Kind::Done && e.reusable) {
            keep_idle(std::move(t.connection));
        }
        transfers_.erase(id);
        if (e.kind == ClientEvent::Kind::Done) {
            if (handlers->on_done) {
                handlers->on_done();
            }
        } else if (handlers->on_error) {
            handlers->on_error(e.failure, e.name);
        }
    }

    std::shared_ptr<Connection> take_idle(const SimUrl& url) {
        for (auto it = idle_.begin(); it != idle_.end(); ++it) {
            if ((*it)->host != url.host || (*it)->port != url.port) {
                continue;
            }
            auto connection = *it;
            idle_.erase(it);
            const SimHttpEndpoint* endpoint = network_.find(url.host, url.port);
            if (endpoint == nullptr ||
                scheduler_.now() - connection->idle_since >= endpoint->idle_timeout()) {
                return nullptr; // the server closed it meanwhile: a new one is opened
            }
            return connection;
        }
        return nullptr;
    }

    void keep_idle(std::shared_ptr<Connection> connection) {
        if (options_.max_cached_connections == 0) {
            return;
        }
        connection->idle_since = scheduler_.now();
        idle_.push_back(std::move(connection));
        while (idle_.size() > options_.max_cached_connections) {
            idle_.erase(idle_.begin()); // the oldest goes
        }
    }

    void open_connection(std::uint64_t id) {
        ++stats_.connections_opened;
        Transfer& t = transfers_.at(id);
        t.connection = std::make_shared<Connection>();
        t.connection->host = t.url.host;
        t.connection->port = t.url.port;
        // SYN to the server; its answer (SYN-ACK, or a reset) back; then the request.
        at(t.connection->to_server.arrival(scheduler_, network_.options()),
           [id](Impl& self) { self.server_accept(id); });
    }

    void send_request(std::uint64_t id) {
        Transfer& t = transfers_.at(id);
        at(t.connection->to_server.arrival(scheduler_, network_.options()),
           [id](Impl& self) { self.server_handle(id); });
    }

    // ---- the server's side ----

    SimHttpEndpoint* endpoint_of(const Transfer& t) const {
        return network_.find(t.url.host, t.url.port);
    }

    void server_accept(std::uint64_t id) {
        const auto it = transfers_.find(id);
        if (it == transfers_.end()) {
            return;
        }
        Transfer& t = it->second;
        SimHttpEndpoint* endpoint = endpoint_of(t);
        if (endpoint == nullptr) {
            return to_client(id, t,
                             {error_event(HttpFailure::ConnectFailed, "connection refused")});
        }
        if (!endpoint->accept_connection()) {
            return to_client(
                id, t,
                {error_event(HttpFailure::ConnectionReset,
                             "connection reset by peer (the server refused the connection)")});
        }
        at(t.connection->to_client.arrival(scheduler_, network_.options()), [id](Impl& self) {
            if (self.transfers_.count(id) > 0) {
                self.send_request(id);
            }
        });
    }

    void server_handle(std::uint64_t id) {
        const auto it = transfers_.find(id);
        if (it == transfers_.end()) {
            return;
        }
        Transfer& t = it->second;
        SimHttpEndpoint* endpoint = endpoint_of(t);
        if (endpoint == nullptr) {
            return to_client(id, t,
                             {error_event(HttpFailure::ConnectionReset, "the server went away")});
        }
        t.plan = endpoint->handle(make_request(t));
        t.serving = true;
        t.sent = 0;
        t.stalled = false;
        t.throttle_start = scheduler_.now();
        t.throttle_base = 0;
        std::vector<ClientEvent> head;
        ClientEvent status;
        status.status = static_cast<int>(t.plan.status);
        head.push_back(std::move(status));
        for (auto& [name, value] : cloud::response_headers(t.plan)) {
            ClientEvent header;
            header.kind = ClientEvent::Kind::Header;
            header.name = std::move(name);
            header.value = std::move(value);
            head.push_back(std::move(header));
        }
        to_client(id, t, std::move(head));
        server_send(id);
    }

    /// Sends the body as the plan says, chunk by chunk: until it is all sent, the plan's
    /// close_after cuts it, a throttle makes the next chunk due later, or a stall pauses it.
    void server_send(std::uint64_t id) {
        const auto it = transfers_.find(id);
        if (it == transfers_.end() || !it->second.serving) {
            return;
        }
        Transfer& t = it->second;
        SimHttpEndpoint* endpoint = endpoint_of(t);
        if (endpoint == nullptr) {
            t.serving = false;
            return to_client(id, t,
                             {error_event(HttpFailure::ConnectionReset, "the server went away")});
        }
        const cloud::ResponsePlan& plan = t.plan;
        const std::uint64_t limit =
            plan.close_after ? std::min(*plan.close_after, plan.length) : plan.length;
        while (true) {
            if (plan.stall_after && !t.stalled && t.sent >= std::min(*plan.stall_after, limit) &&
                t.sent < plan.length) {
                t.stalled = true;
                t.throttle_start = scheduler_.now() + Duration(plan.stall_for);
                t.throttle_base = t.sent;
                return at(t.throttle_start, [id](Impl& self) { self.server_send(id); });
            }
            if (t.sent >= limit) {
                return server_finish(id, t, *endpoint);
            }
            std::uint64_t chunk = std::min(limit - t.sent, kChunkSize);
            if (plan.stall_after && !t.stalled && *plan.stall_after > t.sent) {
                chunk = std::min(chunk, *plan.stall_after - t.sent);
            }
            if (const std::uint64_t rate = plan.throttle_bytes_per_second; rate > 0) {
                chunk = std::min(chunk, std::max<std::uint64_t>(1, rate / 20));
                const TimePoint due =
                    t.throttle_start + Duration(static_cast<Duration::rep>(
                                           static_cast<double>(t.sent - t.throttle_base) * 1e6 /
                                           static_cast<double>(rate)));
                if (due > scheduler_.now()) {
                    return at(due, [id](Impl& self) { self.server_send(id); });
                }
            }
            ClientEvent body;
            body.kind = ClientEvent::Kind::Body;
            body.data = plan.body;
            body.offset = plan.offset + t.sent;
            body.length = chunk;
            t.sent += chunk;
            endpoint->body_sent(plan, chunk);
            to_client(id, t, {std::move(body)});
        }
    }

    void server_finish(std::uint64_t id, Transfer& t, SimHttpEndpoint& endpoint) {
        t.serving = false;
        if (t.sent < t.plan.length) {
            // close_after_bytes: the body is cut short on purpose.
            endpoint.response_ended(t.plan, false);
            return to_client(
                id, t,
                {error_event(HttpFailure::ConnectionReset,
                             "the server closed the connection after " + std::to_string(t.sent) +
                                 " of " + std::to_string(t.plan.length) + " body bytes")});
        }
        endpoint.response_ended(t.plan, true);
        ClientEvent done;
        done.kind = ClientEvent::Kind::Done;
        done.reusable = !t.plan.close;
        to_client(id, t, {std::move(done)});
    }

    /// The client let go of a response the server was still sending (cancel): it counts as cut
    /// short.
    void end_serving(Transfer& t, bool complete) {
        if (!t.serving) {
            return;
        }
        t.serving = false;
        if (SimHttpEndpoint* endpoint = endpoint_of(t)) {
            endpoint->response_ended(t.plan, complete);
        }
    }

    SimHttpNetwork& network_;
    Scheduler& scheduler_;
    HttpClientOptions options_;
    std::uint64_t next_id_ = 1;
    HttpClientStats stats_;
    std::unordered_map<std::uint64_t, Transfer> transfers_;
    std::vector<std::shared_ptr<Connection>> idle_;
};

SimHttpClient::SimHttpClient(SimHttpNetwork& network, HttpClientOptions options)
    : impl_(std::make_shared<Impl>(network, std::move(options))) {}

SimHttpClient::~SimHttpClient() {
    impl_->cancel_all();
}

std::uint64_t SimHttpClient::start(const HttpRequestSpec& request, HttpHandlers handlers) {
    return impl_->start(request, std::move(handlers));
}

void SimHttpClient::cancel(std::uint64_t id) {
    impl_->cancel(id);
}

void SimHttpClient::pause(std::uint64_t id) {
    impl_->pause(id);
}

void SimHttpClient::resume(std::uint64_t id) {
    impl_->resume(id);
}

void SimHttpClient::cancel_all() {
    impl_->cancel_all();
}

HttpClientStats SimHttpClient::stats() const {
    return impl_->stats();
}

} // namespace fota::sim::simulation
