// The Prometheus endpoint: a small Beast server that answers GET /metrics and nothing else.
#include "fota/sim/metrics_server.hpp"

#include "fota/sim/fleet_prometheus.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <vector>

namespace fota::sim::fleet {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;

namespace {

constexpr std::chrono::seconds kMetricsIdleTimeout{60};
constexpr std::uint32_t kMetricsRequestLimit = 16 * 1024; // headers, and a body a scrape lacks

class MetricsSession : public std::enable_shared_from_this<MetricsSession> {
public:
    MetricsSession(tcp::socket socket, std::shared_ptr<const MetricsServer::Source> source)
        : stream_(std::move(socket)), source_(std::move(source)) {}

    void start() {
        net::dispatch(stream_.get_executor(),
                      beast::bind_front_handler(&MetricsSession::read, shared_from_this()));
    }

    void close() {
        net::post(stream_.get_executor(), [self = shared_from_this()] {
            beast::error_code ignored;
            self->stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
            self->stream_.close();
        });
    }

private:
    void read() {
        parser_.emplace();
        parser_->header_limit(kMetricsRequestLimit);
        parser_->body_limit(kMetricsRequestLimit);
        stream_.expires_after(kMetricsIdleTimeout);
        bhttp::async_read(stream_, buffer_, *parser_,
                          beast::bind_front_handler(&MetricsSession::on_read, shared_from_this()));
    }

    void on_read(beast::error_code ec, std::size_t) {
        if (ec) {
            return stream_.close(); // end of stream, timeout, reset, or not HTTP
        }
        const auto& request = parser_->get();
        auto response = std::make_shared<bhttp::response<bhttp::string_body>>();
        response->version(request.version());
        response->keep_alive(request.keep_alive());
        response->set(bhttp::field::server, "fota-sim");
        answer(request, *response);
        response->prepare_payload();
        if (request.method() == bhttp::verb::head) {
            response->body().clear(); // Content-Length stays the GET's
        }
        stream_.expires_after(kMetricsIdleTimeout);
        bhttp::async_write(
            stream_, *response,
            [self = shared_from_this(), response](beast::error_code write_ec, std::size_t) {
                if (write_ec || !response->keep_alive()) {
                    return self->stream_.close();
                }
                self->read();
            });
    }

    void answer(const bhttp::request<bhttp::string_body>& request,
                bhttp::response<bhttp::string_body>& response) {
        const std::string_view target(request.target().data(), request.target().size());
        const std::string_view path = target.substr(0, target.find('?'));
        response.set(bhttp::field::content_type, "text/plain; charset=utf-8");
        if (path != "/metrics") {
            response.result(bhttp::status::not_found);
            response.body() = "not found: this server answers GET /metrics only\n";
            return;
        }
        if (request.method() != bhttp::verb::get && request.method() != bhttp::verb::head) {
            response.result(bhttp::status::method_not_allowed);
            response.set(bhttp::field::allow, "GET, HEAD");
            response.body() = "/metrics answers GET and HEAD only\n";
            return;
        }
        try {
            response.body() = (*source_)();
            response.result(bhttp::status::ok);
            response.set(bhttp::field::content_type, std::string(kPrometheusContentType));
        } catch (const std::exception& error) {
            response.result(bhttp::status::internal_server_error);
            response.body() = std::string("the metrics could not be made: ") + error.what() + "\n";
        }
    }

    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
    std::shared_ptr<const MetricsServer::Source> source_; ///< the server's
};

std::string host_port(const std::string& address, std::uint16_t port) {
    const bool ipv6 = address.find(':') != std::string::npos;
    return (ipv6 ? "[" + address + "]" : address) + ":" + std::to_string(port);
}

} // namespace

struct MetricsServer::OwnThread {
    net::io_context io{1};
    std::thread thread;
};

struct MetricsServer::Impl : std::enable_shared_from_this<MetricsServer::Impl> {
    Impl(net::io_context& io_context, std::string address_text, Source metrics_source)
        : io(io_context), acceptor(net::make_strand(io_context)), address(std::move(address_text)),
          source(std::make_shared<const Source>(std::move(metrics_source))) {}

    void listen(std::uint16_t wanted_port) {
        const auto fail = [&](const beast::error_code& ec) {
            throw std::system_error(ec.value(), std::system_category(),
                                    "metrics server: cannot listen on " +
                                        host_port(address, wanted_port));
        };
        beast::error_code ec;
        const auto ip = net::ip::make_address(address, ec);
        if (ec) {
            throw std::system_error(std::make_error_code(std::errc::invalid_argument),
                                    "metrics server: cannot listen on " +
                                        host_port(address, wanted_port) + ": '" + address +
                                        "' is not an IP address");
        }
        const tcp::endpoint endpoint(ip, wanted_port);
        acceptor.open(endpoint.protocol(), ec);
        if (!ec) {
            acceptor.set_option(net::socket_base::reuse_address(true), ec);
        }
        if (!ec) {
            acceptor.bind(endpoint, ec);
        }
        if (!ec) {
            acceptor.listen(net::socket_base::max_listen_connections, ec);
        }
        if (ec) {
            fail(ec);
        }
        port = acceptor.local_endpoint().port();
    }

    void accept() {
        acceptor.async_accept(net::make_strand(io), [self = shared_from_this()](
                                                        beast::error_code ec, tcp::socket socket) {
            if (ec == net::error::operation_aborted || !self->acceptor.is_open()) {
                return;
            }
            if (!ec) {
                beast::error_code ignored;
                socket.set_option(tcp::no_delay(true), ignored);
                auto session = std::make_shared<MetricsSession>(std::move(socket), self->source);
                std::lock_guard lock(self->mutex);
                if (self->stopped) {
                    return;
                }
                std::erase_if(self->sessions, [](const auto& w) { return w.expired(); });
                self->sessions.push_back(session);
                session->start();
            }
            self->accept();
        });
    }

    /// Closes the acceptor and every open connection (on their strands).
    void close() {
        std::vector<std::shared_ptr<MetricsSession>> open;
        {
            std::lock_guard lock(mutex);
            if (stopped) {
                return;
            }
            stopped = true;
            for (const auto& w : sessions) {
                if (auto s = w.lock()) {
                    open.push_back(std::move(s));
                }
            }
            sessions.clear();
        }
        net::post(acceptor.get_executor(), [self = shared_from_this()] {
            beast::error_code ignored;
            self->acceptor.close(ignored);
        });
        for (const auto& s : open) {
            s->close();
        }
    }

    net::io_context& io;
    tcp::acceptor acceptor;
    std::string address;
    std::shared_ptr<const Source> source; ///< shared with the sessions, which may outlive this
    std::uint16_t port = 0;
    std::mutex mutex;
    std::vector<std::weak_ptr<MetricsSession>> sessions;
    bool stopped = false;
};

MetricsServer::MetricsServer(MetricsServerOptions options, Source source)
    : own_(std::make_unique<OwnThread>()) {
    impl_ = std::make_shared<Impl>(own_->io, std::move(options.address), std::move(source));
    impl_->listen(options.port);
    impl_->accept();
    // No work guard: run() returns once stop() has closed the acceptor and the connections.
    own_->thread = std::thread([io = &own_->io] { io->run(); });
}

MetricsServer::MetricsServer(net::io_context& io, MetricsServerOptions options, Source source) {
    impl_ = std::make_shared<Impl>(io, std::move(options.address), std::move(source));
    impl_->listen(options.port);
    impl_->accept();
}

MetricsServer::~MetricsServer() {
    stop();
    impl_.reset(); // before the own io_context it uses
}

std::uint16_t MetricsServer::port() const {
    return impl_->port;
}

std::string MetricsServer::url() const {
    return "http://" + host_port(impl_->address, impl_->port) + "/metrics";
}

void MetricsServer::stop() {
    impl_->close();
    if (own_ && own_->thread.joinable()) {
        own_->thread.join();
    }
}

} // namespace fota::sim::fleet
