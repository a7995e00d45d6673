#include "fota/sim/curl_http_client.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <curl/curl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
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

namespace {

/// A client's connections: a share handle holding libcurl's connection cache, so that a client's
/// transfers reuse only its own connections (one device, its own TCP connections) although every
/// client of an io_context runs in the same multi handle. Touched only on the hub's strand (or at
/// teardown, when nothing runs); its last reference closes the connections.
struct ConnectionPool {
    CURLSH* share = nullptr;
    std::shared_ptr<class CurlHub> hub; ///< closing the connections reaches the hub's sockets

    ConnectionPool() : share(curl_share_init()) {
        if (share != nullptr) {
            curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
        }
    }
    ~ConnectionPool() {
        if (share != nullptr) {
            curl_share_cleanup(share);
        }
    }
    ConnectionPool(const ConnectionPool&) = delete;
    ConnectionPool& operator=(const ConnectionPool&) = delete;
};

/// What the hub's callbacks count for a client.
struct SharedStats {
    std::atomic<std::uint64_t> connections_opened{0};
    std::atomic<std::uint64_t> body_bytes{0};
};

/// One request, seen from both sides: its client (on the device's strand) owns the handlers and
/// reads the events; the hub (on its strand) owns the easy handle and writes the events.
struct Transfer {
    // Set when made, then the hub's.
    CURL* easy = nullptr;
    curl_slist* headers = nullptr;
    std::string url;
    std::string range;
    std::shared_ptr<ConnectionPool> pool;
    std::shared_ptr<SharedStats> stats;
    std::weak_ptr<CurlHttpClient::Impl> client;
    std::optional<Strand> client_strand;
    bool in_multi = false;
    std::vector<Transfer*>* touched_list = nullptr; ///< the hub's, while in its multi
    bool touched = false;

    // Both sides.
    std::mutex mutex;
    std::deque<Event> events;
    std::atomic<bool> cancelled{false};

    // The client's.
    std::uint64_t id = 0;
    HttpHandlers handlers;
    bool paused = false;
    bool finished = false; ///< the last event has arrived

    /// At teardown (pending work dropped with its io_context) a transfer may still be in the
    /// multi: leave it first.
    ~Transfer();

    /// On the hub's strand.
    void push(Event event) {
        {
            std::lock_guard lock(mutex);
            events.push_back(std::move(event));
        }
        if (touched_list != nullptr && !touched) {
            touched = true;
            touched_list->push_back(this);
        }
    }

    /// The easy handle and its header list (before the pool, which may then close connections).
    void release_easy() {
        if (easy != nullptr) {
            curl_easy_cleanup(easy);
            easy = nullptr;
        }
        if (headers != nullptr) {
            curl_slist_free_all(headers);
            headers = nullptr;
        }
        pool.reset();
    }
};

/// The one multi handle of an io_context: every client's transfers, their sockets and curl's
/// timer, on the hub's own strand. A multi handle costs about 40 KiB (its socket hash alone is
/// 911 slots) and two descriptors; one per device was most of a fleet's memory.
class CurlHub : public std::enable_shared_from_this<CurlHub> {
public:
    /// The hub of io (made on first use; it lives while a client or a transfer holds it).
    static std::shared_ptr<CurlHub> of(boost::asio::io_context& io, long max_connects) {
        static std::mutex mutex;
        static std::map<boost::asio::io_context*, std::weak_ptr<CurlHub>> hubs;
        std::lock_guard lock(mutex);
        auto& slot = hubs[&io];
        auto hub = slot.lock();
        if (!hub) {
            hub = std::make_shared<CurlHub>(io, max_connects);
            slot = hub;
        }
        return hub;
    }

    CurlHub(boost::asio::io_context& io, long max_connects)
        : strand_(boost::asio::make_strand(io)), timer_(strand_), multi_(curl_multi_init()) {
        if (multi_ != nullptr) {
            curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &CurlHub::socket_callback);
            curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
            curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &CurlHub::timer_callback);
            curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
            // With per-client connection caches (share handles) this bounds each client's.
            curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, max_connects);
        }
    }

    ~CurlHub() {
        // Every transfer holds the hub (through its pool): none is left in the multi by now.
        if (multi_ != nullptr) {
            curl_multi_cleanup(multi_);
        }
        for (auto& [fd, watch] : sockets_) {
            watch->descriptor.release();
        }
    }

    Strand& strand() { return strand_; }

    /// Runs f on the hub's strand.
    template <typename F>
    void post(F&& f) {
        boost::asio::post(
            strand_, [self = shared_from_this(), f = std::forward<F>(f)]() mutable { f(*self); });
    }

    // ---- on the hub's strand ----

    void add(const std::shared_ptr<Transfer>& transfer) {
        if (transfer->cancelled || transfer->easy == nullptr) {
            return;
        }
        curl_easy_setopt(transfer->easy, CURLOPT_SHARE, transfer->pool->share);
        if (multi_ == nullptr || curl_multi_add_handle(multi_, transfer->easy) != CURLM_OK) {
            transfer->release_easy();
            transfer->push(ErrorEvent{HttpFailure::Other, "libcurl refused the transfer"});
            notify(*transfer);
            return;
        }
        transfer->in_multi = true;
        transfer->touched_list = &touched_;
        active_[transfer->easy] = transfer.get();
    }

    void remove(const std::shared_ptr<Transfer>& transfer) { leave(*transfer); }

    /// Takes transfer out of the multi (if in it) and ends its easy handle.
    void leave(Transfer& transfer) {
        if (transfer.in_multi) {
            curl_multi_remove_handle(multi_, transfer.easy);
            transfer.in_multi = false;
            active_.erase(transfer.easy);
        }
        forget(transfer);
        transfer.release_easy();
    }

    void pause(const std::shared_ptr<Transfer>& transfer, bool paused) {
        if (transfer->in_multi) {
            curl_easy_pause(transfer->easy, paused ? CURLPAUSE_RECV : CURLPAUSE_CONT);
            notify_touched();
        }
    }

private:
    struct SocketWatch {
        explicit SocketWatch(Strand& strand, int fd) : descriptor(strand, fd) {}
        boost::asio::posix::stream_descriptor descriptor;
        int what = 0; // CURL_POLL_*
        bool read_pending = false;
        bool write_pending = false;
    };

    // --- curl callbacks (inside curl_multi_socket_action or curl_easy_pause, on the strand) ---

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
                transfer->push(StatusEvent{status});
            }
        } else if (const auto colon = line.find(':'); colon != std::string_view::npos) {
            transfer->push(HeaderEvent{std::string(trim(line.substr(0, colon))),
                                       std::string(trim(line.substr(colon + 1)))});
        }
        return size * count;
    }

    static size_t write_callback(char* data, size_t size, size_t count, void* user) {
        auto* transfer = static_cast<Transfer*>(user);
        const auto* bytes = reinterpret_cast<const std::uint8_t*>(data);
        transfer->push(BodyEvent{std::vector<std::uint8_t>(bytes, bytes + size * count)});
        transfer->stats->body_bytes += size * count;
        return size * count;
    }

    static curl_socket_t open_socket_callback(void* user, curlsocktype, curl_sockaddr* address) {
        auto* stats = static_cast<SharedStats*>(user);
        const int fd =
            ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
        if (fd >= 0) {
            ++stats->connections_opened;
        }
        return fd < 0 ? CURL_SOCKET_BAD : fd;
    }

    static int close_socket_callback(void* user, curl_socket_t fd) {
        auto* self = static_cast<CurlHub*>(user);
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
        auto* self = static_cast<CurlHub*>(user);
        auto found = self->sockets_.find(fd);
        if (what == CURL_POLL_REMOVE) {
            if (found != self->sockets_.end()) {
                found->second->what = 0;
                boost::system::error_code ignored;
                found->second->descriptor.cancel(ignored);
            }
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
        auto* self = static_cast<CurlHub*>(user);
        if (timeout_ms < 0) {
            self->timer_.cancel();
            return 0;
        }
        self->timer_.expires_after(std::chrono::milliseconds(timeout_ms));
        self->timer_.async_wait([weak = self->weak_from_this()](boost::system::error_code ec) {
            auto hub = weak.lock();
            if (!ec && hub) {
                hub->socket_action(CURL_SOCKET_TIMEOUT, 0);
            }
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
            if (ec != boost::asio::error::operation_aborted) {
                self->socket_action(fd, ec ? CURL_CSELECT_ERR : ready);
            }
            self->rearm(fd, watch);
        });
    }

    void rearm(int fd, const std::shared_ptr<SocketWatch>& watch) {
        // Only while curl still watches this very socket object.
        auto found = sockets_.find(fd);
        if (found != sockets_.end() && found->second == watch) {
            arm(fd, watch);
        }
    }

    void socket_action(curl_socket_t fd, int events) {
        if (multi_ == nullptr) {
            return;
        }
        int running = 0;
        curl_multi_socket_action(multi_, fd, events, &running);
        collect_finished();
        notify_touched();
    }

    void collect_finished() {
        int remaining = 0;
        while (CURLMsg* message = curl_multi_info_read(multi_, &remaining)) {
            if (message->msg != CURLMSG_DONE) {
                continue;
            }
            const CURLcode result = message->data.result;
            CURL* easy = message->easy_handle;
            curl_multi_remove_handle(multi_, easy);
            auto found = active_.find(easy);
            if (found == active_.end()) {
                continue;
            }
            Transfer* transfer = found->second;
            active_.erase(found);
            transfer->in_multi = false;
            forget(*transfer);
            transfer->release_easy();
            if (result == CURLE_OK) {
                transfer->push(DoneEvent{});
            } else {
                transfer->push(
                    ErrorEvent{classify(result), std::string(curl_easy_strerror(result))});
            }
            notify(*transfer);
        }
    }

    /// After curl ran: the client of every transfer that got events looks at them.
    void notify_touched() {
        for (Transfer* transfer : touched_) {
            transfer->touched = false;
            notify(*transfer);
        }
        touched_.clear();
    }

    /// A transfer leaving the multi leaves the touched list too (it is notified apart).
    void forget(Transfer& transfer) {
        if (transfer.touched) {
            touched_.erase(std::remove(touched_.begin(), touched_.end(), &transfer),
                           touched_.end());
            transfer.touched = false;
        }
        transfer.touched_list = nullptr;
    }

    /// Posts the transfer's client a look at its events.
    static void notify(Transfer& transfer);

    Strand strand_;
    boost::asio::steady_timer timer_;
    CURLM* multi_ = nullptr;
    /// The transfers in the multi. Not owners: a transfer is held by its client and by the work
    /// posted for it, and leaves the multi before it goes (~Transfer).
    std::map<CURL*, Transfer*> active_;
    std::map<int, std::shared_ptr<SocketWatch>> sockets_;
    std::vector<Transfer*> touched_;

    friend class CurlHttpClient::Impl;
};

} // namespace

class CurlHttpClient::Impl : public std::enable_shared_from_this<CurlHttpClient::Impl> {
public:
    Impl(Strand strand, HttpClientOptions options)
        : strand_(std::move(strand)), options_(std::move(options)), idle_timer_(strand_),
          hub_((global_init_once(),
                CurlHub::of(strand_.get_inner_executor().context(),
                            static_cast<long>(options_.max_cached_connections)))),
          stats_(std::make_shared<SharedStats>()) {}

    ~Impl() { shutdown(); }

    void shutdown() {
        closed_ = true;
        remove_all_transfers();
        release_pool();
    }

    // The connection pool is made for the first request after an idle time (release_pool).
    bool ensure_pool() {
        idle_timer_.cancel();
        if (pool_) {
            return true;
        }
        auto pool = std::make_shared<ConnectionPool>();
        if (pool->share == nullptr) {
            return false;
        }
        pool->hub = hub_;
        pool_ = std::move(pool);
        ++pools_made_;
        return true;
    }

    // Its cached connections close on the hub's strand once no transfer holds the pool.
    void release_pool() {
        idle_timer_.cancel();
        if (pool_) {
            hub_->post([pool = std::move(pool_)](CurlHub&) mutable { pool.reset(); });
        }
    }

    // With no transfer left, the pool goes after release_idle_after_ms unless a request comes
    // first.
    void release_when_idle() {
        if (!transfers_.empty() || !pool_ || closed_ || options_.release_idle_after_ms == 0) {
            return;
        }
        idle_timer_.expires_after(std::chrono::milliseconds(options_.release_idle_after_ms));
        idle_timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
            auto self = weak.lock();
            if (ec || !self || self->closed_ || !self->transfers_.empty() ||
                self->dispatch_depth_ > 0) {
                return;
            }
            self->release_pool();
        });
    }

    std::uint64_t start(const HttpRequestSpec& request, HttpHandlers handlers) {
        if (closed_ || !ensure_pool()) {
            return 0;
        }
        auto transfer = std::make_shared<Transfer>();
        transfer->id = next_id_++;
        transfer->handlers = std::move(handlers);
        transfer->url = request.url;
        transfer->pool = pool_;
        transfer->stats = stats_;
        transfer->client = weak_from_this();
        transfer->client_strand = strand_;
        CURL* easy = curl_easy_init();
        if (easy == nullptr) {
            return 0;
        }
        transfer->easy = easy;
        if (!configure(*transfer, request)) {
            release_when_idle();
            return 0;
        }
        ++requests_started_;
        const std::uint64_t id = transfer->id;
        transfers_.emplace(id, transfer);
        hub_->post([transfer](CurlHub& hub) { hub.add(transfer); });
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
            hub_->post([transfer = found->second](CurlHub& hub) { hub.pause(transfer, true); });
        }
    }

    void resume(std::uint64_t id) {
        auto found = transfers_.find(id);
        if (found == transfers_.end() || !found->second->paused) {
            return;
        }
        found->second->paused = false;
        if (!found->second->finished) {
            hub_->post([transfer = found->second](CurlHub& hub) { hub.pause(transfer, false); });
        }
        schedule_dispatch();
    }

    void remove_all_transfers() {
        while (!transfers_.empty()) {
            remove_transfer(transfers_.begin());
        }
    }

    HttpClientStats stats() const {
        HttpClientStats s;
        s.requests_started = requests_started_;
        s.connections_opened = stats_->connections_opened;
        s.body_bytes = stats_->body_bytes;
        s.connection_pools_made = pools_made_;
        return s;
    }

    // Hands queued events to their handlers outside curl's callbacks, so that a handler may
    // start or cancel requests. The map may change under us: look the transfer up again after
    // every handler.
    void dispatch_events() {
        if (closed_) {
            return;
        }
        const auto keep_alive = shared_from_this();
        ++dispatch_depth_;
        dispatch_pending_events();
        if (--dispatch_depth_ == 0) {
            retired_.clear();
        }
    }

private:
    using TransferMap = std::map<std::uint64_t, std::shared_ptr<Transfer>>;

    /// Sets the easy handle's options (not its share: that is the hub's, as it adds it).
    bool configure(Transfer& transfer, const HttpRequestSpec& request) {
        CURL* easy = transfer.easy;
        bool ok = curl_easy_setopt(easy, CURLOPT_URL, transfer.url.c_str()) == CURLE_OK;
        curl_easy_setopt(easy, CURLOPT_PRIVATE, &transfer);
        curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
        // A 4 KiB receive buffer instead of 16 KiB: a device's fragments are a few KiB, and in a
        // fleet of thousands the buffers add up.
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
        curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &CurlHub::header_callback);
        curl_easy_setopt(easy, CURLOPT_HEADERDATA, &transfer);
        curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &CurlHub::write_callback);
        curl_easy_setopt(easy, CURLOPT_WRITEDATA, &transfer);
        curl_easy_setopt(easy, CURLOPT_CLOSESOCKETFUNCTION, &CurlHub::close_socket_callback);
        curl_easy_setopt(easy, CURLOPT_CLOSESOCKETDATA, hub_.get());
        curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, &CurlHub::open_socket_callback);
        curl_easy_setopt(easy, CURLOPT_OPENSOCKETDATA, stats_.get());
        if (request.range_start.has_value() && request.range_end.has_value()) {
            transfer.range =
                std::to_string(*request.range_start) + "-" + std::to_string(*request.range_end);
            curl_easy_setopt(easy, CURLOPT_RANGE, transfer.range.c_str());
        }
        if (request.method == HttpRequestSpec::Method::Post) {
            curl_easy_setopt(easy, CURLOPT_POST, 1L);
            curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                             static_cast<curl_off_t>(request.body.size()));
            curl_easy_setopt(easy, CURLOPT_COPYPOSTFIELDS, request.body.c_str());
            // No "Expect: 100-continue" round trip for small bodies.
            transfer.headers = curl_slist_append(transfer.headers, "Expect:");
            if (!request.content_type.empty()) {
                const std::string line = "Content-Type: " + request.content_type;
                transfer.headers = curl_slist_append(transfer.headers, line.c_str());
            }
            curl_easy_setopt(easy, CURLOPT_HTTPHEADER, transfer.headers);
        }
        return ok;
    }

    void remove_transfer(TransferMap::iterator it) {
        const std::shared_ptr<Transfer> transfer = it->second;
        transfer->cancelled = true;
        if (!transfer->finished) {
            hub_->post([transfer](CurlHub& hub) { hub.remove(transfer); });
        }
        // A handler of this transfer may be running (it cancelled its own request or destroyed
        // the client): keep the object until the dispatch loop is done with it.
        if (dispatch_depth_ > 0) {
            retired_.push_back(transfer);
        }
        transfers_.erase(it);
        release_when_idle();
    }

    void schedule_dispatch() {
        boost::asio::post(strand_, [self = shared_from_this()] { self->dispatch_events(); });
    }

    void dispatch_pending_events() {
        std::vector<std::uint64_t> ids;
        ids.reserve(transfers_.size());
        for (const auto& [id, transfer] : transfers_) {
            if (!transfer->paused) {
                ids.push_back(id);
            }
        }
        for (const std::uint64_t id : ids) {
            while (!closed_) {
                auto found = transfers_.find(id);
                if (found == transfers_.end() || found->second->paused) {
                    break;
                }
                Transfer& transfer = *found->second;
                Event event;
                {
                    std::lock_guard lock(transfer.mutex);
                    if (transfer.events.empty()) {
                        break;
                    }
                    event = std::move(transfer.events.front());
                    transfer.events.pop_front();
                }
                const bool last = std::holds_alternative<DoneEvent>(event) ||
                                  std::holds_alternative<ErrorEvent>(event);
                // The transfer is gone before its last handler runs, so that handler may start
                // the next request (or cancel anything) freely.
                HttpHandlers handlers = last ? std::move(transfer.handlers) : HttpHandlers{};
                if (last) {
                    transfer.finished = true;
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
    boost::asio::steady_timer idle_timer_; ///< release_when_idle
    std::shared_ptr<CurlHub> hub_;
    std::shared_ptr<ConnectionPool> pool_;
    std::shared_ptr<SharedStats> stats_;
    bool closed_ = false;
    std::uint64_t next_id_ = 1;
    std::uint64_t requests_started_ = 0;
    std::uint64_t pools_made_ = 0;
    TransferMap transfers_;
    std::vector<std::shared_ptr<Transfer>> retired_;
    int dispatch_depth_ = 0;
};

Transfer::~Transfer() {
    if (in_multi && pool && pool->hub) {
        pool->hub->leave(*this);
    }
    release_easy();
}

void CurlHub::notify(Transfer& transfer) {
    if (!transfer.client_strand) {
        return;
    }
    boost::asio::post(*transfer.client_strand, [client = transfer.client] {
        if (auto self = client.lock()) {
            self->dispatch_events();
        }
    });
}

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
