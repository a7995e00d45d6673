// The libcurl side of CurlHttpClient: one multi handle per io_context (CurlHub, on a strand of
// its own) that runs every client's transfers, each client's connections in a share handle of its
// own (ConnectionPool), and a Transfer between a client (on its device's strand) and the hub.
// A multi handle costs about 40 KiB (its socket hash alone is 911 slots, 29,152 bytes) and two
// descriptors: one per device was most of a fleet's memory.
#pragma once

#include "fota/sim/asio_strand.hpp"
#include "fota/sim/http_client.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace fota::sim::curl {

/// curl's result as the device sees a failure.
HttpFailure classify(CURLcode code);
std::string_view trim(std::string_view text);

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

/// What a transfer's events are handed to: its client, on the client's strand.
class TransferClient {
public:
    virtual ~TransferClient() = default;
    /// Hands the queued events of the client's transfers to their handlers.
    virtual void dispatch_events() = 0;
};

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
    std::weak_ptr<TransferClient> client;
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

    // --- curl callbacks (inside curl_multi_socket_action or curl_easy_pause, on the strand);
    // the client sets them on its easy handles ---
    static size_t header_callback(char* data, size_t size, size_t count, void* user);
    static size_t write_callback(char* data, size_t size, size_t count, void* user);
    static curl_socket_t open_socket_callback(void* user, curlsocktype, curl_sockaddr* address);
    static int close_socket_callback(void* user, curl_socket_t fd);

private:
    struct SocketWatch {
        explicit SocketWatch(Strand& strand, int fd) : descriptor(strand, fd) {}
        boost::asio::posix::stream_descriptor descriptor;
        int what = 0; // CURL_POLL_*
        bool read_pending = false;
        bool write_pending = false;
    };

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
        if (timeout_ms <= 0) {
            self->timer_.cancel();
            if (timeout_ms == 0) {
                self->post_timeout();
            }
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

    // libcurl's "at once" (each new request asks for it): posted onto the strand instead of a
    // 0 ms timer. Re-arming the timer cancels the pending wait (one more handler) and makes it the
    // earliest timer, which costs Asio a timerfd_settime system call each time: at 1,000 fleet
    // devices that was 6 % of the workers' CPU, and posting took the fleet's end-to-end p50 from
    // 2.8 s to 1.3-1.7 s (bench/fleet/README.md). Not inside the callback: libcurl forbids that.
    void post_timeout() {
        if (timeout_posted_) {
            return;
        }
        timeout_posted_ = true;
        boost::asio::post(strand_, [weak = weak_from_this()] {
            if (auto hub = weak.lock()) {
                hub->timeout_posted_ = false;
                hub->socket_action(CURL_SOCKET_TIMEOUT, 0);
            }
        });
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
    bool timeout_posted_ = false; // a post_timeout() not run yet
    CURLM* multi_ = nullptr;
    /// The transfers in the multi. Not owners: a transfer is held by its client and by the work
    /// posted for it, and leaves the multi before it goes (~Transfer).
    std::map<CURL*, Transfer*> active_;
    std::map<int, std::shared_ptr<SocketWatch>> sockets_;
    std::vector<Transfer*> touched_;
};

} // namespace fota::sim::curl
