// HttpClient on a libcurl multi handle driven by Boost.Asio. curl's socket and timer callbacks
// become asynchronous waits on the device's strand, so a thousand devices share a few threads and
// no transfer has a thread of its own. Connections are kept in the multi handle's cache and
// reused between the Range requests of a download.
#pragma once

#include "fota/sim/asio_strand.hpp"
#include "fota/sim/http_client.hpp"

#include <memory>

namespace fota::sim {

/// Every member function must be called on `strand`; handlers run there too.
class CurlHttpClient final : public HttpClient {
public:
    CurlHttpClient(Strand strand, HttpClientOptions options);
    ~CurlHttpClient() override;
    CurlHttpClient(const CurlHttpClient&) = delete;
    CurlHttpClient& operator=(const CurlHttpClient&) = delete;

    std::uint64_t start(const HttpRequestSpec& request, HttpHandlers handlers) override;
    void cancel(std::uint64_t id) override;
    void pause(std::uint64_t id) override;
    void resume(std::uint64_t id) override;
    void cancel_all() override;
    HttpClientStats stats() const override;

    class Impl;

private:
    std::shared_ptr<Impl> impl_;
};

} // namespace fota::sim
