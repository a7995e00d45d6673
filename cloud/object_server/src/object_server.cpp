// Connections and the listener: Beast reads requests, the ObjectStore answers them; responses are
// written by hand (head, then the body in chunks) so the fault knobs can cut, pace or pause the
// body at exact byte counts.
#include "fota/cloud/object_server.hpp"

#include "response_plan.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <system_error>
#include <type_traits>

namespace fota::cloud {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;

/// A connection as stop() sees it, whatever its stream.
class Session {
public:
    virtual ~Session() = default;
    virtual void start() = 0;
    /// Thread-safe: closes the connection on its own executor.
    virtual void close() = 0;
};

using TlsStream = net::ssl::stream<beast::tcp_stream>;

/// One connection; Stream is beast::tcp_stream (HTTP) or TlsStream (HTTPS: handshake first).
template <class Stream>
class StreamSession : public Session, public std::enable_shared_from_this<StreamSession<Stream>> {
public:
    static constexpr bool is_tls = std::is_same_v<Stream, TlsStream>;

    template <class... TlsArgs>
    StreamSession(tcp::socket socket, std::shared_ptr<ObjectStore> store,
                  std::chrono::seconds idle_timeout, TlsArgs&... tls)
        : stream_(std::move(socket), tls...), timer_(stream_.get_executor()),
          store_(std::move(store)), idle_timeout_(idle_timeout) {}

    void start() override {
        net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
            if constexpr (is_tls) {
                beast::get_lowest_layer(self->stream_).expires_after(std::chrono::seconds(30));
                self->stream_.async_handshake(net::ssl::stream_base::server,
                                              [self](beast::error_code ec) {
                                                  if (ec) {
                                                      return self->shutdown();
                                                  }
                                                  self->read_header();
                                              });
            } else {
                self->read_header();
            }
        });
    }

    void close() override {
        net::post(stream_.get_executor(), [self = this->shared_from_this()] { self->shutdown(); });
    }

private:
    static constexpr std::uint64_t chunk_size = 64 * 1024;

    void read_header() {
        parser_.emplace();
        parser_->header_limit(64 * 1024);
        parser_->body_limit(store_->config().max_object_size);
        beast::get_lowest_layer(stream_).expires_after(idle_timeout_);
        bhttp::async_read_header(
            stream_, buffer_, *parser_,
            beast::bind_front_handler(&StreamSession::on_header, this->shared_from_this()));
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
                             [self = this->shared_from_this()](beast::error_code wec, std::size_t) {
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
        bhttp::async_read(
            stream_, buffer_, *parser_,
            beast::bind_front_handler(&StreamSession::on_request, this->shared_from_this()));
    }

    void on_read_error(beast::error_code ec) {
        if (ec == bhttp::error::body_limit) {
            plan_ = entity_too_large_response();
            return write_response();
        }
        if (ec == bhttp::error::end_of_stream || ec == net::error::eof ||
            ec == net::error::operation_aborted || ec == beast::error::timeout ||
            ec == net::error::connection_reset || ec == bhttp::error::partial_message ||
            ec == net::ssl::error::stream_truncated) {
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
        const ObjectRequest request = parser_->release();
        plan_ = store_->handle(request);
        write_response();
    }

    void write_response() {
        head_ = serialize_head(plan_);
        sent_ = 0;
        stalled_ = false;
        beast::get_lowest_layer(stream_).expires_never();
        net::async_write(stream_, net::buffer(head_),
                         [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
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
            timer_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
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
                timer_.async_wait([self = this->shared_from_this(), chunk](beast::error_code ec) {
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
                         [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
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

    void record_bytes(std::size_t n) { store_->record_body_bytes(plan_, n); }

    void record_end(bool complete) { store_->record_response_end(plan_, complete); }

    void shutdown() {
        beast::error_code ec;
        timer_.cancel();
        auto& socket = beast::get_lowest_layer(stream_).socket();
        socket.shutdown(tcp::socket::shutdown_both, ec);
        socket.close(ec);
    }

    Stream stream_;
    net::steady_timer timer_;
    beast::flat_buffer buffer_;
    std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
    std::shared_ptr<ObjectStore> store_;
    std::chrono::seconds idle_timeout_;
    ResponsePlan plan_;
    std::string head_;
    std::uint64_t sent_ = 0;
    bool stalled_ = false;
    std::chrono::steady_clock::time_point throttle_start_{};
    std::uint64_t throttle_base_ = 0;
};

namespace {

/// The open connections, so stop() can close them.
struct Connections {
    std::mutex mutex;
    std::vector<std::weak_ptr<Session>> sessions;
    bool stopped = false;
};

class Listener : public std::enable_shared_from_this<Listener> {
public:
    Listener(net::io_context& io, std::shared_ptr<ObjectStore> store,
             std::shared_ptr<Connections> connections, std::chrono::seconds idle_timeout,
             http::TlsContext tls)
        : io_(io), acceptor_(net::make_strand(io)), store_(std::move(store)),
          connections_(std::move(connections)), idle_timeout_(idle_timeout), tls_(std::move(tls)) {}

    void open(const std::string& address, std::uint16_t port) {
        const tcp::endpoint endpoint(net::ip::make_address(address), port);
        acceptor_.open(endpoint.protocol());
        acceptor_.set_option(net::socket_base::reuse_address(true));
        acceptor_.bind(endpoint);
        acceptor_.listen(net::socket_base::max_listen_connections);
        bound_port_ = acceptor_.local_endpoint().port();
    }

    void accept() {
        acceptor_.async_accept(
            net::make_strand(io_),
            beast::bind_front_handler(&Listener::on_accept, this->shared_from_this()));
    }

    void close() {
        net::post(acceptor_.get_executor(), [self = this->shared_from_this()] {
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
        if (!ec && store_->refuse_connection()) {
            // As a closed port looks to the client: a reset before any byte.
            beast::error_code ignored;
            socket.set_option(net::socket_base::linger(true, 0), ignored);
            socket.close(ignored);
        } else if (!ec) {
            // A response is a head and then the body in separate writes: with Nagle on, the body
            // waits for the client's delayed ACK of the head (about 40 ms per Range request).
            beast::error_code ignored;
            socket.set_option(tcp::no_delay(true), ignored);
            std::shared_ptr<Session> session;
            if (tls_) {
                session = std::make_shared<StreamSession<TlsStream>>(std::move(socket), store_,
                                                                     idle_timeout_, *tls_);
            } else {
                session = std::make_shared<StreamSession<beast::tcp_stream>>(std::move(socket),
                                                                             store_, idle_timeout_);
            }
            {
                std::lock_guard lock(connections_->mutex);
                if (connections_->stopped) {
                    return;
                }
                auto& sessions = connections_->sessions;
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
    std::shared_ptr<ObjectStore> store_;
    std::shared_ptr<Connections> connections_;
    std::chrono::seconds idle_timeout_;
    http::TlsContext tls_;
    std::uint16_t bound_port_ = 0;
};

} // namespace

ObjectStoreConfig ObjectServerConfig::store_config() const {
    ObjectStoreConfig c;
    c.credentials = credentials;
    c.region = region;
    c.clock = clock;
    c.max_object_size = max_object_size;
    c.endpoint = (tls ? "https://" : "http://") + address + ":0";
    return c;
}

class ObjectServer::Impl {
public:
    Impl(net::io_context& io, ObjectServerConfig c)
        : io(io), config(std::move(c)), store(std::make_shared<ObjectStore>(config.store_config())),
          connections(std::make_shared<Connections>()) {}
    net::io_context& io;
    ObjectServerConfig config;
    std::shared_ptr<ObjectStore> store;
    std::shared_ptr<Connections> connections;
    std::shared_ptr<Listener> listener;
    std::atomic<std::uint16_t> port{0};
};

ObjectServer::ObjectServer(net::io_context& io, ObjectServerConfig config)
    : impl_(std::make_unique<Impl>(io, std::move(config))) {}

ObjectServer::~ObjectServer() {
    stop();
}

void ObjectServer::start() {
    if (impl_->listener) {
        return;
    }
    auto listener = std::make_shared<Listener>(impl_->io, impl_->store, impl_->connections,
                                               impl_->config.idle_timeout, impl_->config.tls);
    listener->open(impl_->config.address, impl_->config.port);
    impl_->port = listener->port();
    impl_->store->set_endpoint(endpoint());
    {
        std::lock_guard lock(impl_->connections->mutex);
        impl_->connections->stopped = false;
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
        std::lock_guard lock(impl_->connections->mutex);
        impl_->connections->stopped = true;
        for (const auto& w : impl_->connections->sessions) {
            if (auto s = w.lock()) {
                open.push_back(std::move(s));
            }
        }
        impl_->connections->sessions.clear();
    }
    for (const auto& s : open) {
        s->close();
    }
}

std::uint16_t ObjectServer::port() const {
    return impl_->port;
}

std::string ObjectServer::endpoint() const {
    return std::string(impl_->config.tls ? "https://" : "http://") + impl_->config.address + ":" +
           std::to_string(port());
}

ObjectStore& ObjectServer::store() {
    return *impl_->store;
}

void ObjectServer::create_bucket(const std::string& bucket) {
    impl_->store->create_bucket(bucket);
}

void ObjectServer::put_object(const std::string& bucket, const std::string& key, std::string data,
                              std::string content_type) {
    impl_->store->put_object(bucket, key, std::move(data), std::move(content_type));
}

std::optional<std::string> ObjectServer::get_object(const std::string& bucket,
                                                    const std::string& key) const {
    return impl_->store->get_object(bucket, key);
}

bool ObjectServer::delete_object(const std::string& bucket, const std::string& key) {
    return impl_->store->delete_object(bucket, key);
}

void ObjectServer::add_fault(ObjectFault fault) {
    impl_->store->add_fault(std::move(fault));
}

void ObjectServer::clear_faults() {
    impl_->store->clear_faults();
}

std::vector<ObjectFault> ObjectServer::faults() const {
    return impl_->store->faults();
}

ObjectCounters ObjectServer::counters(const std::string& bucket, const std::string& key) const {
    return impl_->store->counters(bucket, key);
}

ObjectCounters ObjectServer::total_counters() const {
    return impl_->store->total_counters();
}

std::map<std::string, ObjectCounters> ObjectServer::all_counters() const {
    return impl_->store->all_counters();
}

void ObjectServer::reset_counters() {
    impl_->store->reset_counters();
}

std::string ObjectServer::presign_get(const std::string& bucket, const std::string& key,
                                      std::chrono::seconds expires) const {
    return impl_->store->presign_get(bucket, key, expires);
}

} // namespace fota::cloud
