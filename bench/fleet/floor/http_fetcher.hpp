// The floor's HTTP side: libcurl multi on one thread of its own (curl_multi_socket_action on
// epoll) for a group of clients (the shadow report's POST and the image's Range GETs). A finished
// request's result is handed to its callback on that thread; the callback posts it where it belongs
// (the clients' io_context).
#pragma once

#include <curl/curl.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

namespace fota::bench::floor {

struct HttpResult {
    long status = 0;           ///< the HTTP status; 0 when the transfer failed
    std::string error;         ///< curl's message when it failed
    std::string body;          ///< the response body
    std::string content_range; ///< the Content-Range header's value, if any
};

class HttpFetcher {
public:
    using Done = std::function<void(HttpResult)>;

    /// Clients are spread over multis of at most kClientsPerMulti (slot = the client's index):
    /// libcurl's work per request grows with the handles and connections of its multi (at
    /// 5,000 clients in one multi, a third of the floor's CPU was libcurl's), and each device
    /// has a multi of its own. Each multi keeps an idle connection per client for reuse.
    explicit HttpFetcher(std::size_t clients);
    ~HttpFetcher(); ///< ends the thread; callbacks of unfinished requests are not called
    HttpFetcher(const HttpFetcher&) = delete;
    HttpFetcher& operator=(const HttpFetcher&) = delete;

    /// GET url with "Range: bytes=first-last"; the connection is closed after it when
    /// close_after (a device lets its idle connection go, 3 s after its last request).
    void get_range(std::size_t slot, std::string url, std::uint64_t first, std::uint64_t last,
                   bool close_after, Done done);
    /// POST body (application/json) to url, on a connection closed after it.
    void post_json(std::size_t slot, std::string url, std::string body, Done done);

    static constexpr std::size_t kClientsPerMulti = 64;

    /// New connections made so far (CURLINFO_NUM_CONNECTS summed); read after the run.
    std::uint64_t connections() const { return connections_; }

private:
    struct Request;
    /// One multi and curl's timeout for it.
    struct Shard {
        HttpFetcher* owner = nullptr;
        std::uint32_t index = 0;
        CURLM* multi = nullptr;
        std::optional<std::chrono::steady_clock::time_point> timer_due;
    };
    void submit(std::size_t slot, std::unique_ptr<Request> request);
    void run();
    void start_pending();
    void finish_done(Shard& shard);
    void run_due_timers(int& wait_ms);
    void wake();
    static int on_socket(CURL* easy, curl_socket_t socket, int what, void* user, void* assigned);
    static int on_timer(CURLM* multi, long timeout_ms, void* user);

    std::vector<std::unique_ptr<Shard>> shards_;
    int epoll_fd_ = -1;
    int wake_fd_ = -1; ///< an eventfd: a request was submitted, or the fetcher stops
    std::mutex mutex_;
    std::vector<std::unique_ptr<Request>> pending_; ///< submitted, not yet in the multi
    bool stopping_ = false;
    std::uint64_t connections_ = 0;          ///< written on the fetcher's thread only
    std::unordered_set<Request*> in_flight_; ///< in the multi (the fetcher's thread only)
    std::thread thread_;
};

} // namespace fota::bench::floor
