#include "support/range_http_server.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <list>

namespace fota::sim::test {

namespace http = boost::beast::http;
using boost::asio::ip::tcp;

class RangeHttpServer::Impl {
public:
    Impl(RangeHttpServer& owner, std::string blob)
        : owner_(owner), blob_(std::move(blob)),
          acceptor_(io_, tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)) {
        port = acceptor_.local_endpoint().port();
        accept_thread_ = std::thread([this] { accept_loop(); });
    }

    ~Impl() {
        stopping_ = true;
        boost::system::error_code ignored;
        acceptor_.close(ignored);
        // Unblock the accept with one connection of our own.
        {
            boost::asio::io_context io;
            tcp::socket poke(io);
            poke.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port), ignored);
        }
        accept_thread_.join();
        {
            const std::lock_guard lock(mutex_);
            for (auto& socket : sockets_) {
                socket->shutdown(tcp::socket::shutdown_both, ignored);
            }
        }
        for (auto& thread : threads_) {
            thread.join();
        }
    }

    std::uint16_t port = 0;
    mutable std::mutex mutex_;
    std::vector<std::string> ranges;
    std::string post_body;
    std::string post_content_type;

private:
    void accept_loop() {
        while (!stopping_) {
            auto socket = std::make_shared<tcp::socket>(io_);
            boost::system::error_code ec;
            acceptor_.accept(*socket, ec);
            if (ec || stopping_) {
                return;
            }
            ++owner_.connections_;
            const std::lock_guard lock(mutex_);
            sockets_.push_back(socket);
            threads_.emplace_back([this, socket] { serve(*socket); });
        }
    }

    void serve(tcp::socket& socket) {
        boost::beast::flat_buffer buffer;
        while (true) {
            http::request<http::string_body> request;
            boost::system::error_code ec;
            http::read(socket, buffer, request, ec);
            if (ec) {
                return;
            }
            if (!respond(socket, request)) {
                return;
            }
        }
    }

    // Returns false when the connection must end.
    bool respond(tcp::socket& socket, const http::request<http::string_body>& request) {
        boost::system::error_code ec;
        const std::string target(request.target());
        if (request.method() == http::verb::post && target == "/echo") {
            {
                const std::lock_guard lock(mutex_);
                post_body = request.body();
                post_content_type = std::string(request[http::field::content_type]);
            }
            http::response<http::string_body> response{http::status::ok, request.version()};
            response.set(http::field::content_type, "application/json");
            response.body() = request.body();
            response.prepare_payload();
            http::write(socket, response, ec);
            return !ec;
        }
        if (request.method() == http::verb::get && target == "/truncated") {
            const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n";
            boost::asio::write(socket, boost::asio::buffer(head + std::string(100, 'x')), ec);
            socket.shutdown(tcp::socket::shutdown_both, ec);
            return false;
        }
        if (request.method() != http::verb::get || target != "/fw.bin") {
            http::response<http::string_body> response{http::status::not_found, request.version()};
            response.body() = "no such object";
            response.prepare_payload();
            http::write(socket, response, ec);
            return !ec;
        }
        const std::string range(request[http::field::range]);
        {
            const std::lock_guard lock(mutex_);
            ranges.push_back(range);
        }
        std::size_t first = 0;
        std::size_t last = blob_.size() - 1;
        http::response<http::string_body> response{http::status::ok, request.version()};
        if (!range.empty()) {
            // Only the "bytes=a-b" form the client sends.
            const auto dash = range.find('-');
            first = std::stoul(range.substr(6, dash - 6));
            last = std::min<std::size_t>(std::stoul(range.substr(dash + 1)), blob_.size() - 1);
            if (first >= blob_.size()) {
                response.result(http::status::range_not_satisfiable);
                response.set(http::field::content_range, "bytes */" + std::to_string(blob_.size()));
                response.prepare_payload();
                http::write(socket, response, ec);
                return !ec;
            }
            response.result(http::status::partial_content);
            response.set(http::field::content_range, "bytes " + std::to_string(first) + "-" +
                                                         std::to_string(last) + "/" +
                                                         std::to_string(blob_.size()));
        }
        response.body() = blob_.substr(first, last - first + 1);
        response.prepare_payload();
        http::write(socket, response, ec);
        return !ec;
    }

    RangeHttpServer& owner_;
    std::string blob_;
    boost::asio::io_context io_;
    tcp::acceptor acceptor_;
    std::atomic<bool> stopping_{false};
    std::thread accept_thread_;
    std::list<std::shared_ptr<tcp::socket>> sockets_;
    std::vector<std::thread> threads_;
};

RangeHttpServer::RangeHttpServer(std::string blob)
    : impl_(std::make_unique<Impl>(*this, std::move(blob))) {
    port_ = impl_->port;
}

RangeHttpServer::~RangeHttpServer() = default;

std::string RangeHttpServer::url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
}

std::vector<std::string> RangeHttpServer::ranges() const {
    const std::lock_guard lock(impl_->mutex_);
    return impl_->ranges;
}

std::string RangeHttpServer::last_post_body() const {
    const std::lock_guard lock(impl_->mutex_);
    return impl_->post_body;
}

std::string RangeHttpServer::last_post_content_type() const {
    const std::lock_guard lock(impl_->mutex_);
    return impl_->post_content_type;
}

} // namespace fota::sim::test
