// Turns one parsed HTTP request into a response plan: S3 operations, authentication, fault rules
// and the control API. Pure request -> plan (plus state changes); the session does the I/O.
#pragma once

#include "object_store.hpp"

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace fota::cloud {

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;

/// What the session writes: a status line and headers, then `length` bytes of `body` starting
/// at `offset` (or none), shaped by the fault knobs.
struct ResponsePlan {
    unsigned status = 200;
    std::vector<std::pair<std::string, std::string>> headers;
    std::shared_ptr<const std::string> body;
    std::uint64_t offset = 0;
    std::uint64_t length = 0;         ///< body bytes to send
    std::uint64_t content_length = 0; ///< the Content-Length header (HEAD: the object's size)
    std::optional<std::uint64_t> close_after;
    std::uint64_t throttle_bytes_per_second = 0;
    std::optional<std::uint64_t> stall_after;
    std::chrono::milliseconds stall_for{0};
    std::string bucket; ///< with key: whose counters the body bytes go to (GetObject only)
    std::string key;
    bool counts_body = false;
    bool close = false;             ///< Connection: close after this response
    bool lowercase_headers = false; ///< send header names in lower case
};

/// Handles one request against the state (locks state.mutex itself).
ResponsePlan handle_request(ObjectServer::State& state, const HttpRequest& request);

/// A plan with a fixed body (used for errors before a request could be parsed).
ResponsePlan fixed_response(unsigned status, std::string content_type, std::string body);

/// Decodes an aws-chunked body ("<hex>[;chunk-signature=...]\r\n<data>\r\n...0...\r\n[trailers]
/// \r\n"). Returns nullopt when it is malformed. Never throws.
std::optional<std::string> decode_aws_chunked(std::string_view body);

/// The status line and headers of a plan, as bytes ("HTTP/1.1 200 OK\r\n...\r\n\r\n").
std::string serialize_head(const ResponsePlan& plan);

} // namespace fota::cloud
