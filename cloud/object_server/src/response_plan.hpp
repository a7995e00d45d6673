// The one home of the object server's HTTP responses: the builders every answer goes through (S3
// XML errors, JSON, empty and fixed bodies, with S3's common headers). The plan itself is public
// (fota/cloud/response_plan.hpp).
#pragma once

#include "object_store.hpp"

#include "fota/cloud/response_plan.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fota::cloud {

/// The request being answered, as far as its answer needs it.
struct RequestContext {
    std::string request_id;
    std::string method;
    bool head = false;
    std::string bucket; ///< set once the path is parsed; errors are counted against bucket/key
    std::string key;
};

/// A plan with a fixed body (used for errors before a request could be parsed).
ResponsePlan fixed_response(unsigned status, std::string content_type, std::string body);

/// The answer to a request whose body is over the size limit (S3's EntityTooLarge); closes.
ResponsePlan entity_too_large_response();

/// The answer to bytes that are no HTTP request (`why` says what was wrong); closes.
ResponsePlan bad_request_response(const std::string& why);

/// x-amz-request-id, x-amz-id-2, Date and Server, as S3 sends them on every answer.
void add_common_headers(ResponsePlan& plan, const ObjectServer::State& state,
                        const RequestContext& ctx);

/// A plan with `body` and the common headers; a HEAD request gets the status alone.
ResponsePlan body_response(unsigned status, std::string content_type, std::string body,
                           const ObjectServer::State& state, const RequestContext& ctx);

/// S3's XML <Error> with `code`, `message` and `extra` elements in their order.
ResponsePlan s3_error(unsigned status, std::string_view code, std::string_view message,
                      const std::vector<std::pair<std::string, std::string>>& extra,
                      const ObjectServer::State& state, const RequestContext& ctx);

ResponsePlan empty_response(unsigned status, const ObjectServer::State& state,
                            const RequestContext& ctx);

/// The control API's answers: a JSON body, and {"message": ...} for its errors.
ResponsePlan json_response(unsigned status, const nlohmann::json& body,
                           const ObjectServer::State& state, const RequestContext& ctx);
ResponsePlan json_error(unsigned status, std::string_view message, const ObjectServer::State& state,
                        const RequestContext& ctx);

} // namespace fota::cloud
