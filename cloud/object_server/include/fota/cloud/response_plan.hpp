// What the object server answers to one request, before any I/O: the status line and headers,
// the body as a slice of the object's bytes, and how the fault knobs shape the sending (cut,
// pace, pause, close). The Asio server (object_server.hpp) writes a plan to a socket; the
// deterministic simulation (simulator/simulation) delivers it as events on its virtual clock.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace fota::cloud {

/// A status line and headers, then `length` bytes of `body` starting at `offset` (or none),
/// shaped by the fault knobs.
struct ResponsePlan {
    unsigned status = 200;
    /// Every header but Content-Length and Connection (response_headers() adds those).
    std::vector<std::pair<std::string, std::string>> headers;
    std::shared_ptr<const std::string> body;
    std::uint64_t offset = 0;
    std::uint64_t length = 0;         ///< body bytes to send
    std::uint64_t content_length = 0; ///< the Content-Length header (HEAD: the object's size)
    /// close_after_bytes: send this many body bytes, then close the connection.
    std::optional<std::uint64_t> close_after;
    std::uint64_t throttle_bytes_per_second = 0; ///< 0: as fast as the connection goes
    /// stall: after this many body bytes, send nothing for `stall_for`.
    std::optional<std::uint64_t> stall_after;
    std::chrono::milliseconds stall_for{0};
    std::string bucket; ///< with key: whose counters the body bytes go to (GetObject only)
    std::string key;
    bool counts_body = false;
    bool close = false;             ///< Connection: close after this response
    bool lowercase_headers = false; ///< send header names in lower case
};

/// The headers as they go on the wire, in order: the plan's, then Content-Length, then
/// Connection: close when the plan closes; names in lower case when the plan says so.
std::vector<std::pair<std::string, std::string>> response_headers(const ResponsePlan& plan);

/// The status line and headers of a plan, as bytes ("HTTP/1.1 200 OK\r\n...\r\n\r\n").
std::string serialize_head(const ResponsePlan& plan);

} // namespace fota::cloud
