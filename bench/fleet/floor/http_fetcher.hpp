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

    /// max_connections: idle connections the multi keeps for reuse (curl's default, four per
    /// transfer in progress, makes a new connection for most requests of a big run; each
    /// device keeps its own, so the floor keeps one a client).
    explicit HttpFetcher(long max_connections);
    ~HttpFetcher(); ///< ends the thread; callbacks of unfinished requests are not called
    HttpFetcher(const HttpFetcher&) = delete;
    HttpFetcher& operator=(const HttpFetcher&) = delete;

    /// GET url with "Range: bytes=first-last"; the connection is closed after it when
    /// close_after (a device lets its idle connection go, 3 s after its last request).
    void get_range(std::string url, std::uint64_t first, std::uint64_t last, bool close_after,
                   Done done);
    /// POST body (application/json) to url, on a connection closed after it.
    void post_json(std::string url, std::string body, Done done);

    /// New connections made so far (CURLINFO_NUM_CONNECTS summed); read after the run.
    std::uint64_t connections() const { return connections_; }

private:
    struct Request;
    void submit(std::unique_ptr<Request> request);
    void run();
    void start_pending();
    void finish_done();
    void wake();
    static int on_socket(CURL* easy, curl_socket_t socket, int what, void* user, void* assigned);
    static int on_timer(CURLM* multi, long timeout_ms, void* user);

    CURLM* multi_ = nullptr;
    int epoll_fd_ = -1;
    int wake_fd_ = -1; ///< an eventfd: a request was submitted, or the fetcher stops
    std::optional<std::chrono::steady_clock::time_point> timer_due_; ///< curl's timeout
    std::mutex mutex_;
    std::vector<std::unique_ptr<Request>> pending_; ///< submitted, not yet in the multi
    bool stopping_ = false;
    std::uint64_t connections_ = 0;          ///< written on the fetcher's thread only
    std::unordered_set<Request*> in_flight_; ///< in the multi (the fetcher's thread only)
    std::thread thread_;
};

} // namespace fota::bench::floor
