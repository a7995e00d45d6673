#include "fota/cloud/http/rest_server.hpp"
#include "fota/cloud/http/tls_server.hpp"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <type_traits>

namespace fota::cloud::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;

namespace {

/// A connection as stop() sees it, whatever its stream.
class Connection {
public:
    virtual ~Connection() = default;
    virtual void start() = 0;
    virtual void close() = 0; ///< thread-safe
};

struct Shared {
    RestServerConfig config;
    RestHandler handler;
    std::mutex mutex;
    std::vector<std::weak_ptr<Connection>> sessions;
    bool stopped = false;
};

using TlsStream = net::ssl::stream<beast::tcp_stream>;

// The client's certificate as PEM when it presented one that verified; else empty.
std::string peer_certificate_pem(TlsStream& stream) {
    SSL* ssl = stream.native_handle();
    X509* certificate = SSL_get1_peer_certificate(ssl);
    std::string pem;
    if (certificate != nullptr && SSL_get_verify_result(ssl) == X509_V_OK) {
        BIO* bio = BIO_new(BIO_s_mem());
        if (bio != nullptr && PEM_write_bio_X509(bio, certificate) == 1) {
            char* data = nullptr;
            const long size = BIO_get_mem_data(bio, &data);
            pem.assign(data, static_cast<std::size_t>(size));
        }
        BIO_free(bio);
    }
    X509_free(certificate);
    return pem;
}

/// One connection; Stream is beast::tcp_stream (HTTP) or TlsStream (HTTPS: handshake first).
template <class Stream>
class RestSession : public Connection, public std::enable_shared_from_this<RestSession<Stream>> {
public:
    static constexpr bool is_tls = std::is_same_v<Stream, TlsStream>;

    template <class... TlsArgs>
    RestSession(tcp::socket socket, std::shared_ptr<Shared> shared, TlsArgs&... tls)
        : stream_(std::move(socket), tls...), shared_(std::move(shared)) {}

    void start() override {
        net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
            if constexpr (is_tls) {
                beast::get_lowest_layer(self->stream_).expires_after(std::chrono::seconds(30));
                self->stream_.async_handshake(
                    net::ssl::stream_base::server, [self](beast::error_code ec) {
                        if (ec) {
                            return self->shutdown();
                        }
                        self->client_certificate_pem_ = peer_certificate_pem(self->stream_);
                        self->read();
                    });
            } else {
                self->read();
            }
        });
    }

    void close() override {
        net::post(stream_.get_executor(), [self = this->shared_from_this()] { self->shutdown(); });
    }

private:
    void read() {
        parser_.emplace();
        parser_->body_limit(shared_->config.max_body_size);
        parser_->header_limit(64 * 1024);
        beast::get_lowest_layer(stream_).expires_after(shared_->config.idle_timeout);
        bhttp::async_read(
            stream_, buffer_, *parser_,
            beast::bind_front_handler(&RestSession::on_read, this->shared_from_this()));
    }

    void on_read(beast::error_code ec, std::size_t) {
        if (ec == bhttp::error::end_of_stream || ec == net::error::eof ||
            ec == net::error::operation_aborted || ec == beast::error::timeout ||
            ec == net::error::connection_reset || ec == bhttp::error::partial_message ||
            ec == net::ssl::error::stream_truncated) {
            return shutdown();
        }
        if (ec) {
            RestResponse bad;
            bad.status = ec == bhttp::error::body_limit ? 413 : 400;
            bad.headers.emplace_back("Content-Type", "application/json");
            bad.body = "{\"message\":\"the HTTP request could not be read: " + ec.message() + "\"}";
            keep_alive_ = false;
            return write(std::move(bad));
        }
        auto request = parser_->release();
        keep_alive_ = request.keep_alive();
        SigV4Request r;
        r.method = std::string(request.method_string());
        r.target = std::string(request.target());
        for (const auto& field : request) {
            r.headers.push_back({std::string(field.name_string()), std::string(field.value())});
        }
        r.body = std::move(request.body());
        r.client_certificate_pem = client_certificate_pem_;
        beast::get_lowest_layer(stream_).expires_never();
        // The responder owns the connection until it is called (or dropped unanswered, which
        // closes the connection).
        auto answered = std::make_shared<std::atomic<bool>>(false);
        RestResponder respond = [self = this->shared_from_this(), answered](RestResponse response) {
            if (answered->exchange(true)) {
                return;
            }
            net::post(self->stream_.get_executor(),
                      [self, response = std::move(response)]() mutable {
                          self->write(std::move(response));
                      });
        };
        shared_->handler(std::move(r), std::move(respond));
    }

    void write(RestResponse response) {
        auto message = std::make_shared<bhttp::response<bhttp::string_body>>();
        message->version(11);
        message->result(response.status);
        message->set(bhttp::field::server, "fota-sim");
        for (auto& [name, value] : response.headers) {
            message->set(name, value);
        }
        message->body() = std::move(response.body);
        message->keep_alive(keep_alive_);
        message->prepare_payload();
        bhttp::async_write(
            stream_, *message,
            [self = this->shared_from_this(), message](beast::error_code ec, std::size_t) {
                if (ec || !self->keep_alive_) {
                    return self->shutdown();
                }
                self->read();
            });
    }

    void shutdown() {
        beast::error_code ec;
        auto& socket = beast::get_lowest_layer(stream_).socket();
        socket.shutdown(tcp::socket::shutdown_both, ec);
        socket.close(ec);
    }

    Stream stream_;
    std::string client_certificate_pem_; ///< verified at the handshake (HTTPS only)
    beast::flat_buffer buffer_;
    std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
    std::shared_ptr<Shared> shared_;
    bool keep_alive_ = true;
};

} // namespace

struct RestServer::Impl : std::enable_shared_from_this<RestServer::Impl> {
    Impl(net::io_context& io_context, std::shared_ptr<Shared> s)
        : io(io_context), acceptor(net::make_strand(io_context)), shared(std::move(s)) {}

    void accept() {
        acceptor.async_accept(net::make_strand(io), [self = shared_from_this()](
                                                        beast::error_code ec, tcp::socket socket) {
            if (ec == net::error::operation_aborted || !self->acceptor.is_open()) {
                return;
            }
            if (!ec) {
                std::shared_ptr<Connection> connection;
                if (self->shared->config.tls) {
                    connection = std::make_shared<RestSession<TlsStream>>(
                        std::move(socket), self->shared, *self->shared->config.tls);
                } else {
                    connection = std::make_shared<RestSession<beast::tcp_stream>>(std::move(socket),
                                                                                  self->shared);
                }
                {
                    std::lock_guard lock(self->shared->mutex);
                    if (self->shared->stopped) {
                        return;
                    }
                    auto& sessions = self->shared->sessions;
                    sessions.erase(std::remove_if(sessions.begin(), sessions.end(),
                                                  [](const auto& w) { return w.expired(); }),
                                   sessions.end());
                    sessions.push_back(connection);
                }
                connection->start();
            }
            self->accept();
        });
    }

    net::io_context& io;
    tcp::acceptor acceptor;
    std::shared_ptr<Shared> shared;
    std::atomic<std::uint16_t> port{0};
    bool started = false;
};

RestServer::RestServer(net::io_context& io, RestServerConfig config, RestHandler handler) {
    auto shared = std::make_shared<Shared>();
    shared->config = std::move(config);
    shared->handler = std::move(handler);
    impl_ = std::make_shared<Impl>(io, std::move(shared));
}

RestServer::~RestServer() {
    stop();
}

void RestServer::start() {
    if (impl_->started) {
        return;
    }
    const auto& config = impl_->shared->config;
    const tcp::endpoint endpoint(net::ip::make_address(config.address), config.port);
    impl_->acceptor.open(endpoint.protocol());
    impl_->acceptor.set_option(net::socket_base::reuse_address(true));
    impl_->acceptor.bind(endpoint);
    impl_->acceptor.listen(net::socket_base::max_listen_connections);
    impl_->port = impl_->acceptor.local_endpoint().port();
    impl_->started = true;
    impl_->accept();
}

void RestServer::stop() {
    if (!impl_->started) {
        return;
    }
    impl_->started = false;
    net::post(impl_->acceptor.get_executor(), [impl = impl_] {
        beast::error_code ec;
        impl->acceptor.close(ec);
    });
    std::vector<std::shared_ptr<Connection>> open;
    {
        std::lock_guard lock(impl_->shared->mutex);
        impl_->shared->stopped = true;
        for (const auto& w : impl_->shared->sessions) {
            if (auto s = w.lock()) {
                open.push_back(std::move(s));
            }
        }
        impl_->shared->sessions.clear();
    }
    for (const auto& s : open) {
        s->close();
    }
}

std::uint16_t RestServer::port() const {
    return impl_->port;
}

std::string RestServer::endpoint() const {
    return std::string(impl_->shared->config.tls ? "https://" : "http://") +
           impl_->shared->config.address + ":" + std::to_string(port());
}

} // namespace fota::cloud::http
