// Connections and the listener: Beast reads requests; responses are written by hand (head, then
// the body in chunks) so the fault knobs can cut, pace or pause the body at exact byte counts.
#include "fota/cloud/object_server.hpp"

#include "object_store.hpp"
#include "response_plan.hpp"
#include "s3_handler.hpp"

#include "fota/cloud/http/uri.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>

#include <algorithm>
#include <system_error>

namespace fota::cloud {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;

class Session : public std::enable_shared_from_this<Session> {
public:
    Session(tcp::socket socket, std::shared_ptr<ObjectServer::State> state)
        : stream_(std::move(socket)), timer_(stream_.get_executor()), state_(std::move(state)) {}

    void start() {
        net::dispatch(stream_.get_executor(),
                      beast::bind_front_handler(&Session::read_header, shared_from_this()));
    }

    /// Thread-safe: closes the connection on its own executor.
    void close() {
        net::post(stream_.get_executor(), [self = shared_from_this()] { self->shutdown(); });
    }

private:
    static constexpr std::uint64_t chunk_size = 64 * 1024;

    void read_header() {
        parser_.emplace();
        parser_->header_limit(64 * 1024);
        parser_->body_limit(state_->config.max_object_size);
        stream_.expires_after(state_->config.idle_timeout);
        bhttp::async_read_header(
            stream_, buffer_, *parser_,
            beast::bind_front_handler(&Session::on_header, shared_from_this()));
    }

    void on_header(beast::error_code ec, std::size_t) {
        if (ec) {
            return on_read_error(ec);
        }
        const auto expect = parser_->get()[bhttp::field::expect];
        if (expect.size() == 12 &&
            std::equal(expect.begin(), expect.end(), "100-continue", [](char a, char b) {
                return std::tolower(static_cast<unsigned char>(a)) == b;
            })) {
            head_ = "HTTP/1.1 100 Continue\r\n\r\n";
            net::async_write(stream_, net::buffer(head_),
                             [self = shared_from_this()](beast::error_code wec, std::size_t) {
                                 if (wec) {
                                     return self->shutdown();
                                 }
                                 self->read_body();
                             });
            return;
        }
        read_body();
    }

    void read_body() {
        bhttp::async_read(stream_, buffer_, *parser_,
                          beast::bind_front_handler(&Session::on_request, shared_from_this()));
    }

    void on_read_error(beast::error_code ec) {
        if (ec == bhttp::error::body_limit) {
            plan_ = entity_too_large_response();
            return write_response();
        }
        if (ec == bhttp::error::end_of_stream || ec == net::error::eof ||
            ec == net::error::operation_aborted || ec == beast::error::timeout ||
            ec == net::error::connection_reset || ec == bhttp::error::partial_message) {
            return shutdown();
        }
        // A request we cannot parse: say so, then hang up (we do not know where the next one
        // would start).
        plan_ = bad_request_response(ec.message());
        write_response();
    }

    void on_request(beast::error_code ec, std::size_t) {
        if (ec) {
            return on_read_error(ec);
        }
        HttpRequest request = parser_->release();
        plan_ = handle_request(*state_, request);
        plan_.close = plan_.close || !request.keep_alive();
        write_response();
    }

    void write_response() {
        head_ = serialize_head(plan_);
        sent_ = 0;
        stalled_ = false;
        stream_.expires_never();
        net::async_write(stream_, net::buffer(head_),
                         [self = shared_from_this()](beast::error_code ec, std::size_t) {
                             if (ec) {
                                 self->record_end(false);
                                 return self->shutdown();
                             }
                             self->throttle_start_ = std::chrono::steady_clock::now();
                             self->throttle_base_ = 0;
                             self->write_body();
                         });
    }

    void write_body() {
        std::uint64_t limit = plan_.length;
        if (plan_.close_after && *plan_.close_after < limit) {
            limit = *plan_.close_after;
        }
        if (plan_.stall_after && !stalled_ && sent_ >= std::min(*plan_.stall_after, limit) &&
            sent_ < plan_.length) {
            stalled_ = true;
            timer_.expires_after(plan_.stall_for);
            timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
                if (ec) {
                    self->record_end(false);
                    return self->shutdown();
                }
                self->throttle_start_ = std::chrono::steady_clock::now();
                self->throttle_base_ = self->sent_;
                self->write_body();
            });
            return;
        }
        if (sent_ >= limit) {
            return finish();
        }
        std::uint64_t chunk = std::min(limit - sent_, chunk_size);
        if (plan_.stall_after && !stalled_ && *plan_.stall_after > sent_) {
            chunk = std::min(chunk, *plan_.stall_after - sent_);
        }
        if (plan_.throttle_bytes_per_second > 0) {
            const std::uint64_t rate = plan_.throttle_bytes_per_second;
            chunk = std::min(chunk, std::max<std::uint64_t>(1, rate / 20));
            const auto due =
                throttle_start_ +
                std::chrono::nanoseconds(static_cast<std::int64_t>(
                    static_cast<double>(sent_ - throttle_base_) * 1e9 / static_cast<double>(rate)));
            if (due > std::chrono::steady_clock::now()) {
                timer_.expires_at(due);
                timer_.async_wait([self = shared_from_this(), chunk](beast::error_code ec) {
                    if (ec) {
                        self->record_end(false);
                        return self->shutdown();
                    }
                    self->write_chunk(chunk);
                });
                return;
            }
        }
        write_chunk(chunk);
    }

    void write_chunk(std::uint64_t chunk) {
        const char* data = plan_.body->data() + plan_.offset + sent_;
        net::async_write(stream_, net::buffer(data, static_cast<std::size_t>(chunk)),
                         [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                             self->sent_ += n;
                             self->record_bytes(n);
                             if (ec) {
                                 self->record_end(false);
                                 return self->shutdown();
                             }
                             self->write_body();
                         });
    }

    void finish() {
        if (sent_ < plan_.length) {
            // close_after_bytes: the body is cut short on purpose.
            record_end(false);
            return shutdown();
        }
        record_end(true);
        if (plan_.close) {
            return shutdown();
        }
        read_header();
    }

    void record_bytes(std::size_t n) {
        if (!plan_.counts_body || n == 0) {
            return;
        }
        std::lock_guard lock(state_->mutex);
        state_->counters_for(plan_.bucket, plan_.key).bytes_served += n;
    }

    void record_end(bool complete) {
        if (!plan_.counts_body) {
            return;
        }
        std::lock_guard lock(state_->mutex);
        auto& c = state_->counters_for(plan_.bucket, plan_.key);
        ++(complete ? c.complete_responses : c.aborted_responses);
        plan_.counts_body = false;
    }

    void shutdown() {
        beast::error_code ec;
        timer_.cancel();
        stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
        stream_.socket().close(ec);
    }

    beast::tcp_stream stream_;
    net::steady_timer timer_;
    beast::flat_buffer buffer_;
    std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
    std::shared_ptr<ObjectServer::State> state_;
    ResponsePlan plan_;
    std::string head_;
    std::uint64_t sent_ = 0;
    bool stalled_ = false;
    std::chrono::steady_clock::time_point throttle_start_{};
    std::uint64_t throttle_base_ = 0;
};

namespace {

class Listener : public std::enable_shared_from_this<Listener> {
public:
    Listener(net::io_context& io, std::shared_ptr<ObjectServer::State> state)
        : io_(io), acceptor_(net::make_strand(io)), state_(std::move(state)) {}

    void open(const std::string& address, std::uint16_t port) {
        const tcp::endpoint endpoint(net::ip::make_address(address), port);
        acceptor_.open(endpoint.protocol());
        acceptor_.set_option(net::socket_base::reuse_address(true));
        acceptor_.bind(endpoint);
        acceptor_.listen(net::socket_base::max_listen_connections);
        bound_port_ = acceptor_.local_endpoint().port();
    }

    void accept() {
        acceptor_.async_accept(net::make_strand(io_),
                               beast::bind_front_handler(&Listener::on_accept, shared_from_this()));
    }

    void close() {
        net::post(acceptor_.get_executor(), [self = shared_from_this()] {
            beast::error_code ec;
            self->acceptor_.close(ec);
        });
    }

    std::uint16_t port() const { return bound_port_; }

private:
    void on_accept(beast::error_code ec, tcp::socket socket) {
        if (ec == net::error::operation_aborted || !acceptor_.is_open()) {
            return;
        }
        bool refused = false;
        if (!ec) {
            std::lock_guard lock(state_->mutex);
            refused = state_->take_fault(ObjectFault::Kind::refuse_connections, {}, {}).has_value();
        }
        if (!ec && refused) {
            // As a closed port looks to the client: a reset before any byte.
            beast::error_code ignored;
            socket.set_option(net::socket_base::linger(true, 0), ignored);
            socket.close(ignored);
        } else if (!ec) {
            auto session = std::make_shared<Session>(std::move(socket), state_);
            {
                std::lock_guard lock(state_->mutex);
                if (state_->stopped) {
                    return;
                }
                auto& sessions = state_->sessions;
                sessions.erase(std::remove_if(sessions.begin(), sessions.end(),
                                              [](const auto& w) { return w.expired(); }),
                               sessions.end());
                sessions.push_back(session);
            }
            session->start();
        }
        accept();
    }

    net::io_context& io_;
    tcp::acceptor acceptor_;
    std::shared_ptr<ObjectServer::State> state_;
    std::uint16_t bound_port_ = 0;
};

} // namespace

class ObjectServer::Impl {
public:
    Impl(net::io_context& io, ObjectServerConfig config)
        : io(io), state(std::make_shared<State>(std::move(config))) {}
    net::io_context& io;
    std::shared_ptr<State> state;
    std::shared_ptr<Listener> listener;
};

http::Credentials placeholder_credentials() {
    return {"FOTASIMLOCALACCESSKEY", "fota-sim-local-secret-access-key", ""};
}

ObjectServer::ObjectServer(net::io_context& io, ObjectServerConfig config)
    : impl_(std::make_unique<Impl>(io, std::move(config))) {}

ObjectServer::~ObjectServer() {
    stop();
}

void ObjectServer::start() {
    if (impl_->listener) {
        return;
    }
    auto listener = std::make_shared<Listener>(impl_->io, impl_->state);
    listener->open(impl_->state->config.address, impl_->state->config.port);
    {
        std::lock_guard lock(impl_->state->mutex);
        impl_->state->port = listener->port();
        impl_->state->stopped = false;
    }
    listener->accept();
    impl_->listener = std::move(listener);
}

void ObjectServer::stop() {
    if (!impl_->listener) {
        return;
    }
    impl_->listener->close();
    impl_->listener.reset();
    std::vector<std::shared_ptr<Session>> open;
    {
        std::lock_guard lock(impl_->state->mutex);
        impl_->state->stopped = true;
        for (const auto& w : impl_->state->sessions) {
            if (auto s = w.lock()) {
                open.push_back(std::move(s));
            }
        }
        impl_->state->sessions.clear();
    }
    for (const auto& s : open) {
        s->close();
    }
}

std::uint16_t ObjectServer::port() const {
    std::lock_guard lock(impl_->state->mutex);
    return impl_->state->port;
}

std::string ObjectServer::endpoint() const {
    return "http://" + impl_->state->config.address + ":" + std::to_string(port());
}

void ObjectServer::create_bucket(const std::string& bucket) {
    std::lock_guard lock(impl_->state->mutex);
    auto& b = impl_->state->buckets[bucket];
    if (b.created == http::TimePoint{}) {
        b.created = impl_->state->config.clock();
    }
}

void ObjectServer::put_object(const std::string& bucket, const std::string& key, std::string data,
                              std::string content_type) {
    std::lock_guard lock(impl_->state->mutex);
    auto& b = impl_->state->buckets[bucket];
    if (b.created == http::TimePoint{}) {
        b.created = impl_->state->config.clock();
    }
    b.objects[key] = impl_->state->make_object(std::move(data), std::move(content_type));
}

std::optional<std::string> ObjectServer::get_object(const std::string& bucket,
                                                    const std::string& key) const {
    std::lock_guard lock(impl_->state->mutex);
    const auto b = impl_->state->buckets.find(bucket);
    if (b == impl_->state->buckets.end()) {
        return std::nullopt;
    }
    const auto o = b->second.objects.find(key);
    if (o == b->second.objects.end()) {
        return std::nullopt;
    }
    return *o->second.data;
}

bool ObjectServer::delete_object(const std::string& bucket, const std::string& key) {
    std::lock_guard lock(impl_->state->mutex);
    const auto b = impl_->state->buckets.find(bucket);
    return b != impl_->state->buckets.end() && b->second.objects.erase(key) > 0;
}

void ObjectServer::add_fault(ObjectFault fault) {
    std::lock_guard lock(impl_->state->mutex);
    impl_->state->faults.push_back(std::move(fault));
}

void ObjectServer::clear_faults() {
    std::lock_guard lock(impl_->state->mutex);
    impl_->state->faults.clear();
}

std::vector<ObjectFault> ObjectServer::faults() const {
    std::lock_guard lock(impl_->state->mutex);
    return impl_->state->faults;
}

ObjectCounters ObjectServer::counters(const std::string& bucket, const std::string& key) const {
    std::lock_guard lock(impl_->state->mutex);
    const auto it = impl_->state->counters.find(bucket + "/" + key);
    return it == impl_->state->counters.end() ? ObjectCounters{} : it->second;
}

ObjectCounters ObjectServer::total_counters() const {
    return sum_counters(all_counters());
}

std::map<std::string, ObjectCounters> ObjectServer::all_counters() const {
    std::lock_guard lock(impl_->state->mutex);
    return impl_->state->counters;
}

void ObjectServer::reset_counters() {
    std::lock_guard lock(impl_->state->mutex);
    impl_->state->counters.clear();
}

std::string ObjectServer::presign_get(const std::string& bucket, const std::string& key,
                                      std::chrono::seconds expires) const {
    return impl_->state->presign_url(bucket, key, expires, port());
}

std::string ObjectServer::State::presign_url(const std::string& bucket, const std::string& key,
                                             std::chrono::seconds expires,
                                             std::uint16_t listening_port) const {
    http::PresignRequest pr;
    pr.host = config.address + ":" + std::to_string(listening_port);
    pr.path = "/" + http::aws_uri_encode(bucket, true) + "/" + http::aws_uri_encode(key, false);
    pr.region = config.region;
    pr.expires = expires;
    pr.now = config.clock();
    return http::presign_url(pr, config.credentials.value_or(placeholder_credentials()));
}

ObjectCounters sum_counters(const std::map<std::string, ObjectCounters>& all) {
    ObjectCounters t;
    for (const auto& [name, c] : all) {
        t.requests += c.requests;
        t.get_requests += c.get_requests;
        t.head_requests += c.head_requests;
        t.put_requests += c.put_requests;
        t.range_requests += c.range_requests;
        t.bytes_served += c.bytes_served;
        t.complete_responses += c.complete_responses;
        t.aborted_responses += c.aborted_responses;
        t.error_responses += c.error_responses;
    }
    return t;
}

} // namespace fota::cloud
