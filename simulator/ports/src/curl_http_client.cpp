#include "fota/sim/curl_http_client.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <curl/curl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <map>
#include <mutex>
#include <variant>
#include <vector>

namespace fota::sim {

std::string_view to_string(HttpFailure failure) {
    switch (failure) {
    case HttpFailure::Timeout:
        return "timeout";
    case HttpFailure::ConnectionReset:
        return "connection_reset";
    case HttpFailure::ConnectFailed:
        return "connect_failed";
    case HttpFailure::NameResolution:
        return "name_resolution";
    case HttpFailure::Tls:
        return "tls";
    case HttpFailure::Other:
        break;
    }
    return "other";
}

namespace {

/// libcurl's receive buffer per transfer (CURLOPT_BUFFERSIZE; its default is 16 KiB).
constexpr long kReceiveBufferBytes = 4096;

void global_init_once() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

HttpFailure classify(CURLcode code) {
    switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
        return HttpFailure::Timeout;
    case CURLE_COULDNT_CONNECT:
        return HttpFailure::ConnectFailed;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        return HttpFailure::NameResolution;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_CRL_BADFILE:
        return HttpFailure::Tls;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
        return HttpFailure::ConnectionReset;
    default:
        return HttpFailure::Other;
    }
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())) != 0) {
        text.remove_prefix(1);
    }
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())) != 0) {
        text.remove_suffix(1);
    }
    return text;
}

struct StatusEvent {
    int status;
};
struct HeaderEvent {
    std::string name;
    std::string value;
};
struct BodyEvent {
    std::vector<std::uint8_t> data;
};
struct DoneEvent {};
struct ErrorEvent {
    HttpFailure failure;
    std::string message;
};
using Event = std::variant<StatusEvent, HeaderEvent, BodyEvent, DoneEvent, ErrorEvent>;

} // namespace

class CurlHttpClient::Impl : public std::enable_shared_from_this<CurlHttpClient::Impl> {
public:
    Impl(Strand strand, HttpClientOptions options)
        : strand_(std::move(strand)), options_(std::move(options)), timer_(strand_),
          idle_timer_(strand_) {
        global_init_once();
    }

    ~Impl() { shutdown(); }

    void shutdown() {
        closed_ = true;
        remove_all_transfers();
        release_multi();
    }

    // The multi handle is made for the first request after an idle time (release_multi).
    bool ensure_multi() {
        idle_timer_.cancel();
        if (multi_ != nullptr) {
            return true;
        }
        multi_ = curl_multi_init();
        if (multi_ == nullptr) {
            return false;
        }
        curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &Impl::socket_callback);
        curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
        curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &Impl::timer_callback);
        curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
        curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS,
                          static_cast<long>(options_.max_cached_connections));
        ++stats_.multi_handles_made;
        return true;
    }

    // Closes the cached connections (through close_socket_callback) and the multi handle.
    void release_multi() {
        idle_timer_.cancel();
        if (multi_ == nullptr) {
            return;
        }
        timer_.cancel();
        curl_multi_cleanup(multi_);
        multi_ = nullptr;
        for (auto& [fd, watch] : sockets_) {
            watch->descriptor.release();
        }
        sockets_.clear();
    }

    // With no transfer left, the multi handle goes after release_idle_after_ms unless a request
    // comes first.
    void release_when_idle() {
        if (!transfers_.empty() || multi_ == nullptr || closed_ ||
            options_.release_idle_after_ms == 0) {
            return;
        }
        idle_timer_.expires_after(std::chrono::milliseconds(options_.release_idle_after_ms));
        idle_timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
            auto self = weak.lock();
            if (ec || !self || self->closed_ || !self->transfers_.empty() ||
                self->dispatch_depth_ > 0) {
                return;
            }
            self->release_multi();
        });
    }

    std::uint64_t start(const HttpRequestSpec& request, HttpHandlers handlers) {
        if (closed_ || !ensure_multi()) {
            return 0;
        }
        auto transfer = std::make_unique<Transfer>();
        transfer->id = next_id_++;
        transfer->owner = this;
        transfer->handlers = std::move(handlers);
        transfer->url = request.url;
        CURL* easy = curl_easy_init();
        if (easy == nullptr) {
            return 0;
        }
        transfer->easy = easy;
        bool ok = curl_easy_setopt(easy, CURLOPT_URL, transfer->url.c_str()) == CURLE_OK;
        curl_easy_setopt(easy, CURLOPT_PRIVATE, transfer.get());
        curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
        // A 4 KiB receive buffer instead of 16 KiB: a device's fragments are a few KiB, and in a
        // fleet of thousands the buffers are most of libcurl's memory.
        curl_easy_setopt(easy, CURLOPT_BUFFERSIZE, kReceiveBufferBytes);
        curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                         static_cast<long>(options_.connect_timeout_ms));
        curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, options_.verify_tls ? 1L : 0L);
        curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, options_.verify_tls ? 2L : 0L);
        if (!options_.ca_file.empty()) {
            curl_easy_setopt(easy, CURLOPT_CAINFO, options_.ca_file.c_str());
        }
        if (!options_.client_cert_file.empty()) {
            curl_easy_setopt(easy, CURLOPT_SSLCERT, options_.client_cert_file.c_str());
        }
        if (!options_.client_key_file.empty()) {
            curl_easy_setopt(easy, CURLOPT_SSLKEY, options_.client_key_file.c_str());
        }
        curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &Impl::header_callback);
        curl_easy_setopt(easy, CURLOPT_HEADERDATA, transfer.get());
        curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &Impl::write_callback);
        curl_easy_setopt(easy, CURLOPT_WRITEDATA, transfer.get());
        curl_easy_setopt(easy, CURLOPT_CLOSESOCKETFUNCTION, &Impl::close_socket_callback);
        curl_easy_setopt(easy, CURLOPT_CLOSESOCKETDATA, this);
        curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, &Impl::open_socket_callback);
        curl_easy_setopt(easy, CURLOPT_OPENSOCKETDATA, this);
        if (request.range_start.has_value() && request.range_end.has_value()) {
            transfer->range =
                std::to_string(*request.range_start) + "-" + std::to_string(*request.range_end);
            curl_easy_setopt(easy, CURLOPT_RANGE, transfer->range.c_str());
        }
        if (request.method == HttpRequestSpec::Method::Post) {
            curl_easy_setopt(easy, CURLOPT_POST, 1L);
            curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                             static_cast<curl_off_t>(request.body.size()));
            curl_easy_setopt(easy, CURLOPT_COPYPOSTFIELDS, request.body.c_str());
            // No "Expect: 100-continue" round trip for small bodies.
            transfer->headers = curl_slist_append(transfer->headers, "Expect:");
            if (!request.content_type.empty()) {
                const std::string line = "Content-Type: " + request.content_type;
                transfer->headers = curl_slist_append(transfer->headers, line.c_str());
            }
            curl_easy_setopt(easy, CURLOPT_HTTPHEADER, transfer->headers);
        }
        if (!ok || curl_multi_add_handle(multi_, easy) != CURLM_OK) {
            destroy_transfer(*transfer);
            release_when_idle();
            return 0;
        }
        ++stats_.requests_started;
        const std::uint64_t id = transfer->id;
        transfers_.emplace(id, std::move(transfer));
        return id;
    }

    void cancel(std::uint64_t id) {
        auto found = transfers_.find(id);
        if (found == transfers_.end()) {
            return;
        }
        remove_transfer(found);
    }

    void pause(std::uint64_t id) {
        auto found = transfers_.find(id);
        if (found == transfers_.end() || found->second->paused) {
            return;
        }
        found->second->paused = true;
        if (!found->second->finished) {
            curl_easy_pause(found->second->easy, CURLPAUSE_RECV);
        }
    }

    void resume(std::uint64_t id) {
        auto found = transfers_.find(id);
        if (found == transfers_.end() || !found->second->paused) {
            return;
        }
        found->second->paused = false;
        if (!found->second->finished) {
            curl_easy_pause(found->second->easy, CURLPAUSE_CONT);
        }
        schedule_dispatch();
    }

    void remove_all_transfers() {
        while (!transfers_.empty()) {
            remove_transfer(transfers_.begin());
        }
    }

    HttpClientStats stats() const { return stats_; }

private:
    struct Transfer {
        std::uint64_t id = 0;
        Impl* owner = nullptr;
        CURL* easy = nullptr;
        curl_slist* headers = nullptr;
        std::string url;
        std::string range;
        HttpHandlers handlers;
        std::deque<Event> events;
        bool paused = false;
        bool finished = false; // curl is done with it; only events remain
    };

    struct SocketWatch {
        explicit SocketWatch(Strand& strand, int fd) : descriptor(strand, fd) {}
        boost::asio::posix::stream_descriptor descriptor;
        int what = 0; // CURL_POLL_*
        bool read_pending = false;
        bool write_pending = false;
    };

    using TransferMap = std::map<std::uint64_t, std::unique_ptr<Transfer>>;

    void destroy_transfer(Transfer& transfer) {
        if (transfer.easy != nullptr) {
            curl_easy_cleanup(transfer.easy);
            transfer.easy = nullptr;
        }
        if (transfer.headers != nullptr) {
            curl_slist_free_all(transfer.headers);
            transfer.headers = nullptr;
        }
    }

    void remove_transfer(TransferMap::iterator it) {
        Transfer& transfer = *it->second;
        if (!transfer.finished && multi_ != nullptr) {
            curl_multi_remove_handle(multi_, transfer.easy);
        }
        destroy_transfer(transfer);
        // A handler of this transfer may be running (it cancelled its own request or destroyed
        // the client): keep the object until the dispatch loop is done with it.
        if (dispatch_depth_ > 0) {
            retired_.push_back(std::move(it->second));
        }
        transfers_.erase(it);
        release_when_idle();
    }

    // --- curl callbacks (they run inside curl_multi_socket_action, on the strand) ---

    static size_t header_callback(char* data, size_t size, size_t count, void* user) {
        auto* transfer = static_cast<Transfer*>(user);
        const std::string_view line(data, size * count);
        if (line.rfind("HTTP/", 0) == 0) {
            const auto space = line.find(' ');
            int status = 0;
            if (space != std::string_view::npos) {
                status = std::atoi(std::string(line.substr(space + 1, 3)).c_str());
            }
            // Interim 1xx responses are not the response.
            if (status >= 200) {
                transfer->events.push_back(StatusEvent{status});
            }
            return size * count;
        }
        const auto colon = line.find(':');
        if (colon != std::string_view::npos) {
            transfer->events.push_back(HeaderEvent{std::string(trim(line.substr(0, colon))),
                                                   std::string(trim(line.substr(colon + 1)))});
        }
        return size * count;
    }

    static size_t write_callback(char* data, size_t size, size_t count, void* user) {
        auto* transfer = static_cast<Transfer*>(user);
        const auto* bytes = reinterpret_cast<const std::uint8_t*>(data);
        transfer->events.push_back(
            BodyEvent{std::vector<std::uint8_t>(bytes, bytes + size * count)});
        transfer->owner->stats_.body_bytes += size * count;
        return size * count;
    }

    static curl_socket_t open_socket_callback(void* user, curlsocktype, curl_sockaddr* address) {
        auto* self = static_cast<Impl*>(user);
        const int fd =
            ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
        if (fd >= 0) {
            ++self->stats_.connections_opened;
        }
        return fd < 0 ? CURL_SOCKET_BAD : fd;
    }

    static int close_socket_callback(void* user, curl_socket_t fd) {
        auto* self = static_cast<Impl*>(user);
        auto found = self->sockets_.find(fd);
        if (found != self->sockets_.end()) {
            // Deregister from the reactor (aborting waits) before the descriptor number is
            // closed and perhaps reused by the next socket.
            found->second->descriptor.release();
            self->sockets_.erase(found);
        }
        return ::close(fd);
    }

    static int socket_callback(CURL*, curl_socket_t fd, int what, void* user, void*) {
        auto* self = static_cast<Impl*>(user);
        auto found = self->sockets_.find(fd);
        if (what == CURL_POLL_REMOVE) {
            if (found != self->sockets_.end()) {
                found->second->what = 0;
                boost::system::error_code ignored;
                found->second->descriptor.cancel(ignored);
            }
            return 0;
        }
        if (self->closed_) {
            return 0;
        }
        if (found == self->sockets_.end()) {
            found =
                self->sockets_.emplace(fd, std::make_shared<SocketWatch>(self->strand_, fd)).first;
        }
        found->second->what = what;
        self->arm(fd, found->second);
        return 0;
    }

    static int timer_callback(CURLM*, long timeout_ms, void* user) {
        auto* self = static_cast<Impl*>(user);
        if (timeout_ms < 0 || self->closed_) {
            self->timer_.cancel();
            return 0;
        }
        self->timer_.expires_after(std::chrono::milliseconds(timeout_ms));
        self->timer_.async_wait([self = self->shared_from_this()](boost::system::error_code ec) {
            if (ec || self->closed_) {
                return;
            }
            self->socket_action(CURL_SOCKET_TIMEOUT, 0);
        });
        return 0;
    }

    // --- event loop glue ---

    void arm(int fd, const std::shared_ptr<SocketWatch>& watch) {
        using Wait = boost::asio::posix::stream_descriptor::wait_type;
        if ((watch->what & CURL_POLL_IN) != 0) {
            wait_for(fd, watch, Wait::wait_read, &SocketWatch::read_pending, CURL_CSELECT_IN);
        }
        if ((watch->what & CURL_POLL_OUT) != 0) {
            wait_for(fd, watch, Wait::wait_write, &SocketWatch::write_pending, CURL_CSELECT_OUT);
        }
    }

    // One wait for the socket to be ready in one direction (unless one is pending already),
    // then curl's turn with `ready` (or an error) and the next wait.
    void wait_for(int fd, const std::shared_ptr<SocketWatch>& watch,
                  boost::asio::posix::stream_descriptor::wait_type direction,
                  bool SocketWatch::*pending, int ready) {
        if ((*watch).*pending) {
            return;
        }
        (*watch).*pending = true;
        watch->descriptor.async_wait(direction, [self = shared_from_this(), watch, fd, pending,
                                                 ready](boost::system::error_code ec) {
            (*watch).*pending = false;
            if (self->closed_) {
                return;
            }
            if (ec != boost::asio::error::operation_aborted) {
                self->socket_action(fd, ec ? CURL_CSELECT_ERR : ready);
            }
            self->rearm(fd, watch);
        });
    }

    void rearm(int fd, const std::shared_ptr<SocketWatch>& watch) {
        // Only while curl still watches this very socket object.
        auto found = sockets_.find(fd);
        if (!closed_ && found != sockets_.end() && found->second == watch) {
            arm(fd, watch);
        }
    }

    void socket_action(curl_socket_t fd, int events) {
        if (multi_ == nullptr) {
            return; // released while this wait was on its way
        }
        int running = 0;
        curl_multi_socket_action(multi_, fd, events, &running);
        collect_finished();
        dispatch_events();
    }

    void collect_finished() {
        int remaining = 0;
        while (CURLMsg* message = curl_multi_info_read(multi_, &remaining)) {
            if (message->msg != CURLMSG_DONE) {
                continue;
            }
            Transfer* transfer = nullptr;
            curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &transfer);
            const CURLcode result = message->data.result;
            curl_multi_remove_handle(multi_, message->easy_handle);
            if (transfer == nullptr) {
                continue;
            }
            transfer->finished = true;
            if (result == CURLE_OK) {
                transfer->events.push_back(DoneEvent{});
            } else {
                transfer->events.push_back(
                    ErrorEvent{classify(result), std::string(curl_easy_strerror(result))});
            }
        }
    }

    void schedule_dispatch() {
        boost::asio::post(strand_, [self = shared_from_this()] {
            if (!self->closed_) {
                self->dispatch_events();
            }
        });
    }

    // Hands queued events to their handlers outside curl's callbacks, so that a handler may
    // start or cancel requests. The map may change under us: look the transfer up again after
    // every handler.
    void dispatch_events() {
        const auto keep_alive = shared_from_this();
        ++dispatch_depth_;
        dispatch_pending_events();
        if (--dispatch_depth_ == 0) {
            retired_.clear();
        }
    }

    void dispatch_pending_events() {
        std::vector<std::uint64_t> ids;
        ids.reserve(transfers_.size());
        for (const auto& [id, transfer] : transfers_) {
            if (!transfer->events.empty() && !transfer->paused) {
                ids.push_back(id);
            }
        }
        for (const std::uint64_t id : ids) {
            while (!closed_) {
                auto found = transfers_.find(id);
                if (found == transfers_.end() || found->second->paused ||
                    found->second->events.empty()) {
                    break;
                }
                Transfer& transfer = *found->second;
                Event event = std::move(transfer.events.front());
                transfer.events.pop_front();
                const bool last = std::holds_alternative<DoneEvent>(event) ||
                                  std::holds_alternative<ErrorEvent>(event);
                // The transfer is gone before its last handler runs, so that handler may start
                // the next request (or cancel anything) freely.
                HttpHandlers handlers = last ? std::move(transfer.handlers) : HttpHandlers{};
                if (last) {
                    remove_transfer(found);
                }
                deliver(last ? handlers : transfer.handlers, event);
            }
        }
    }

    static void deliver(HttpHandlers& handlers, Event& event) {
        if (auto* status = std::get_if<StatusEvent>(&event)) {
            if (handlers.on_status) {
                handlers.on_status(status->status);
            }
        } else if (auto* header = std::get_if<HeaderEvent>(&event)) {
            if (handlers.on_header) {
                handlers.on_header(header->name, header->value);
            }
        } else if (auto* body = std::get_if<BodyEvent>(&event)) {
            if (handlers.on_body) {
                handlers.on_body(body->data);
            }
        } else if (std::holds_alternative<DoneEvent>(event)) {
            if (handlers.on_done) {
                handlers.on_done();
            }
        } else if (auto* error = std::get_if<ErrorEvent>(&event)) {
            if (handlers.on_error) {
                handlers.on_error(error->failure, error->message);
            }
        }
    }

    Strand strand_;
    HttpClientOptions options_;
    boost::asio::steady_timer timer_;
    boost::asio::steady_timer idle_timer_; ///< release_when_idle
    CURLM* multi_ = nullptr;
    bool closed_ = false;
    std::uint64_t next_id_ = 1;
    TransferMap transfers_;
    std::vector<std::unique_ptr<Transfer>> retired_;
    int dispatch_depth_ = 0;
    std::map<int, std::shared_ptr<SocketWatch>> sockets_;
    HttpClientStats stats_;
};

CurlHttpClient::CurlHttpClient(Strand strand, HttpClientOptions options)
    : impl_(std::make_shared<Impl>(std::move(strand), std::move(options))) {}

CurlHttpClient::~CurlHttpClient() {
    impl_->shutdown();
}

std::uint64_t CurlHttpClient::start(const HttpRequestSpec& request, HttpHandlers handlers) {
    return impl_->start(request, std::move(handlers));
}

void CurlHttpClient::cancel(std::uint64_t id) {
    impl_->cancel(id);
}
void CurlHttpClient::pause(std::uint64_t id) {
    impl_->pause(id);
}
void CurlHttpClient::resume(std::uint64_t id) {
    impl_->resume(id);
}
void CurlHttpClient::cancel_all() {
    impl_->remove_all_transfers();
}
HttpClientStats CurlHttpClient::stats() const {
    return impl_->stats();
}

} // namespace fota::sim
