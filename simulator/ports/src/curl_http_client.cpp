#include "fota/sim/curl_http_client.hpp"

#include "curl_hub.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/steady_timer.hpp>

#include <curl/curl.h>

#include <algorithm>
#include <chrono>
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

} // namespace

using curl::BodyEvent;
using curl::ConnectionPool;
using curl::CurlHub;
using curl::DoneEvent;
using curl::ErrorEvent;
using curl::Event;
using curl::HeaderEvent;
using curl::SharedStats;
using curl::StatusEvent;
using curl::Transfer;

class CurlHttpClient::Impl : public curl::TransferClient,
                             public std::enable_shared_from_this<CurlHttpClient::Impl> {
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
    void dispatch_events() override {
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
