// Turns one parsed HTTP request into a response plan: S3 operations, authentication, fault rules
// and the control API. Pure request -> plan (plus state changes); the session does the I/O.
// Responses are built by response_plan.hpp.
#pragma once

#include "object_store.hpp"
#include "response_plan.hpp"

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

/// Handles one request against the state (locks state.mutex itself).
ResponsePlan handle_request(ObjectServer::State& state, const HttpRequest& request);

/// Decodes an aws-chunked body ("<hex>[;chunk-signature=...]\r\n<data>\r\n...0...\r\n[trailers]
/// \r\n"). Returns nullopt when it is malformed. Never throws.
std::optional<std::string> decode_aws_chunked(std::string_view body);

} // namespace fota::cloud
