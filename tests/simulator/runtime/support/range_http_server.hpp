// A small HTTP/1.1 server for the HTTP client tests (Boost.Beast, its own threads): serves one
// blob with Range support at /fw.bin, echoes POST /echo, and cuts /truncated short. It counts
// connections and records the Range header of every request.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace fota::sim::test {

class RangeHttpServer {
public:
    explicit RangeHttpServer(std::string blob);
    ~RangeHttpServer();
    RangeHttpServer(const RangeHttpServer&) = delete;
    RangeHttpServer& operator=(const RangeHttpServer&) = delete;

    std::uint16_t port() const { return port_; }
    std::string url(const std::string& path) const;
    std::uint64_t connections() const { return connections_; }
    std::vector<std::string> ranges() const;
    std::string last_post_body() const;
    std::string last_post_content_type() const;

    class Impl;

private:
    std::atomic<std::uint64_t> connections_{0}; // before impl_: its thread counts from the start
    std::uint16_t port_ = 0;
    std::unique_ptr<Impl> impl_;
};

} // namespace fota::sim::test
