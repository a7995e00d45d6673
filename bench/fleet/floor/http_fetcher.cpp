// libcurl multi on its own thread (http_fetcher.hpp).
#include "http_fetcher.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <limits>

#include <stdexcept>

namespace fota::bench::floor {

struct HttpFetcher::Request {
    Shard* shard = nullptr;
    CURL* easy = nullptr;
    curl_slist* headers = nullptr;
    std::string url;
    std::string request_body;
    HttpResult result;
    Done done;
    char error[CURL_ERROR_SIZE] = {};

    ~Request() {
        curl_slist_free_all(headers);
        if (easy != nullptr) {
            curl_easy_cleanup(easy);
        }
    }
};

namespace {

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
    static_cast<HttpResult*>(user)->body.append(data, size * count);
    return size * count;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
    const std::string_view line(data, size * count);
    constexpr std::string_view kName = "content-range:";
    if (line.size() > kName.size()) {
        std::string lower(line.substr(0, kName.size()));
        for (char& c : lower) {
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        if (lower == kName) {
            std::string_view value = line.substr(kName.size());
            while (!value.empty() && (value.front() == ' ')) {
                value.remove_prefix(1);
            }
            while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) {
                value.remove_suffix(1);
            }
            static_cast<HttpResult*>(user)->content_range = std::string(value);
        }
    }
    return size * count;
}

} // namespace

HttpFetcher::HttpFetcher(std::size_t clients) {
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (epoll_fd_ < 0 || wake_fd_ < 0) {
        throw std::runtime_error("cannot make the HTTP thread's epoll set");
    }
    epoll_event wake_event{};
    wake_event.events = EPOLLIN;
    wake_event.data.u64 = std::numeric_limits<std::uint64_t>::max();
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &wake_event);
    const std::size_t count =
        std::max<std::size_t>(1, (clients + kClientsPerMulti - 1) / kClientsPerMulti);
    for (std::size_t i = 0; i < count; ++i) {
        auto shard = std::make_unique<Shard>();
        shard->owner = this;
        shard->index = static_cast<std::uint32_t>(i);
        shard->multi = curl_multi_init();
        if (shard->multi == nullptr) {
            throw std::runtime_error("curl_multi_init failed");
        }
        curl_multi_setopt(shard->multi, CURLMOPT_MAXCONNECTS,
                          static_cast<long>(kClientsPerMulti) + 4);
        curl_multi_setopt(shard->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
        curl_multi_setopt(shard->multi, CURLMOPT_SOCKETDATA, shard.get());
        curl_multi_setopt(shard->multi, CURLMOPT_TIMERFUNCTION, on_timer);
        curl_multi_setopt(shard->multi, CURLMOPT_TIMERDATA, shard.get());
        shards_.push_back(std::move(shard));
    }
    thread_ = std::thread([this] { run(); });
}

HttpFetcher::~HttpFetcher() {
    {
        const std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake();
    thread_.join();
    for (auto& shard : shards_) {
        curl_multi_cleanup(shard->multi);
    }
    close(wake_fd_);
    close(epoll_fd_);
}

void HttpFetcher::get_range(std::size_t slot, std::string url, std::uint64_t first,
                            std::uint64_t last, bool close_after, Done done) {
    auto request = std::make_unique<Request>();
    request->url = std::move(url);
    request->done = std::move(done);
    request->easy = curl_easy_init();
    const std::string range = std::to_string(first) + "-" + std::to_string(last);
    curl_easy_setopt(request->easy, CURLOPT_RANGE, range.c_str()); // curl copies it
    curl_easy_setopt(request->easy, CURLOPT_FORBID_REUSE, close_after ? 1L : 0L);
    submit(slot, std::move(request));
}

void HttpFetcher::post_json(std::size_t slot, std::string url, std::string body, Done done) {
    auto request = std::make_unique<Request>();
    request->url = std::move(url);
    request->request_body = std::move(body);
    request->done = std::move(done);
    request->easy = curl_easy_init();
    request->headers = curl_slist_append(nullptr, "Content-Type: application/json");
    curl_easy_setopt(request->easy, CURLOPT_HTTPHEADER, request->headers);
    curl_easy_setopt(request->easy, CURLOPT_FORBID_REUSE, 1L);
    curl_easy_setopt(request->easy, CURLOPT_POSTFIELDS, request->request_body.c_str());
    curl_easy_setopt(request->easy, CURLOPT_POSTFIELDSIZE,
                     static_cast<long>(request->request_body.size()));
    submit(slot, std::move(request));
}

void HttpFetcher::submit(std::size_t slot, std::unique_ptr<Request> request) {
    if (request->easy == nullptr) {
        throw std::runtime_error("curl_easy_init failed");
    }
    request->shard = shards_[(slot / kClientsPerMulti) % shards_.size()].get();
    CURL* easy = request->easy;
    curl_easy_setopt(easy, CURLOPT_URL, request->url.c_str());
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &request->result);
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, &request->result);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, request->error);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_PRIVATE, request.get());
    {
        const std::lock_guard lock(mutex_);
        pending_.push_back(std::move(request));
    }
    wake();
}

void HttpFetcher::wake() {
    const std::uint64_t one = 1;
    (void)!write(wake_fd_, &one, sizeof one);
}

void HttpFetcher::start_pending() {
    std::vector<std::unique_ptr<Request>> pending;
    {
        const std::lock_guard lock(mutex_);
        pending.swap(pending_);
    }
    for (auto& request : pending) {
        curl_multi_add_handle(request->shard->multi, request->easy);
        in_flight_.insert(request.release()); // owned here until finish_done
    }
}

void HttpFetcher::finish_done(Shard& shard) {
    int left = 0;
    while (CURLMsg* message = curl_multi_info_read(shard.multi, &left)) {
        if (message->msg != CURLMSG_DONE) {
            continue;
        }
        Request* raw = nullptr;
        curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &raw);
        in_flight_.erase(raw);
        std::unique_ptr<Request> request(raw);
        const CURLcode code = message->data.result;
        curl_multi_remove_handle(shard.multi, request->easy);
        long connects = 0;
        curl_easy_getinfo(request->easy, CURLINFO_NUM_CONNECTS, &connects);
        connections_ += static_cast<std::uint64_t>(connects);
        if (code == CURLE_OK) {
            curl_easy_getinfo(request->easy, CURLINFO_RESPONSE_CODE, &request->result.status);
        } else {
            request->result.error =
                request->error[0] != 0 ? request->error : curl_easy_strerror(code);
        }
        request->done(std::move(request->result));
    }
}

int HttpFetcher::on_socket(CURL*, curl_socket_t socket, int what, void* user, void* assigned) {
    auto* shard = static_cast<Shard*>(user);
    const int epoll_fd = shard->owner->epoll_fd_;
    if (what == CURL_POLL_REMOVE) {
        epoll_ctl(epoll_fd, EPOLL_CTL_DEL, socket, nullptr);
        return 0;
    }
    epoll_event event{};
    event.events =
        ((what & CURL_POLL_IN) != 0 ? EPOLLIN : 0u) | ((what & CURL_POLL_OUT) != 0 ? EPOLLOUT : 0u);
    // The shard in the high half, the socket in the low.
    event.data.u64 =
        (static_cast<std::uint64_t>(shard->index) << 32) | static_cast<std::uint32_t>(socket);
    if (assigned == nullptr) {
        curl_multi_assign(shard->multi, socket, shard);
        if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, socket, &event) == 0) {
            return 0;
        }
    }
    epoll_ctl(epoll_fd, EPOLL_CTL_MOD, socket, &event);
    return 0;
}

int HttpFetcher::on_timer(CURLM*, long timeout_ms, void* user) {
    auto* shard = static_cast<Shard*>(user);
    shard->timer_due =
        timeout_ms < 0 ? std::optional<std::chrono::steady_clock::time_point>()
                       : std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    return 0;
}

void HttpFetcher::run_due_timers(int& wait_ms) {
    int running = 0;
    wait_ms = 1000;
    const auto now = std::chrono::steady_clock::now();
    for (auto& shard : shards_) {
        if (shard->timer_due && now >= *shard->timer_due) {
            shard->timer_due.reset();
            curl_multi_socket_action(shard->multi, CURL_SOCKET_TIMEOUT, 0, &running);
        }
        finish_done(*shard);
        if (shard->timer_due) {
            const auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(*shard->timer_due - now);
            wait_ms = std::min(wait_ms, static_cast<int>(std::max<long long>(left.count(), 0)));
        }
    }
}

void HttpFetcher::run() {
    // curl_multi_socket_action on epoll: each wake-up costs the sockets that are ready, not
    // every socket of the multi (curl_multi_poll and _perform go through all of them).
    std::array<epoll_event, 256> events{};
    int running = 0;
    int wait_ms = 0;
    for (;;) {
        {
            const std::lock_guard lock(mutex_);
            if (stopping_) {
                break;
            }
        }
        start_pending();
        run_due_timers(wait_ms);
        const int ready =
            epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), wait_ms);
        for (int i = 0; i < ready; ++i) {
            const epoll_event& event = events[static_cast<std::size_t>(i)];
            if (event.data.u64 == std::numeric_limits<std::uint64_t>::max()) {
                std::uint64_t count = 0;
                (void)!read(wake_fd_, &count, sizeof count);
                continue;
            }
            Shard& shard = *shards_[event.data.u64 >> 32];
            const auto fd = static_cast<int>(event.data.u64 & 0xffffffffu);
            const int flags = ((event.events & EPOLLIN) != 0 ? CURL_CSELECT_IN : 0) |
                              ((event.events & EPOLLOUT) != 0 ? CURL_CSELECT_OUT : 0) |
                              ((event.events & (EPOLLERR | EPOLLHUP)) != 0 ? CURL_CSELECT_ERR : 0);
            curl_multi_socket_action(shard.multi, fd, flags, &running);
            finish_done(shard);
        }
    }
    // What is still in the multi is dropped with its callback.
    for (Request* raw : in_flight_) {
        const std::unique_ptr<Request> request(raw);
        curl_multi_remove_handle(request->shard->multi, request->easy);
    }
    in_flight_.clear();
}

} // namespace fota::bench::floor
