// Building and serializing the object server's responses (see response_plan.hpp).
#include "response_plan.hpp"

#include "fota/cloud/http/aws_errors.hpp"
#include "fota/cloud/http/aws_time.hpp"

#include <boost/beast/http/status.hpp>

#include <algorithm>
#include <cctype>

namespace fota::cloud {

namespace bhttp = boost::beast::http;

ResponsePlan fixed_response(unsigned status, std::string content_type, std::string body) {
    ResponsePlan plan;
    plan.status = status;
    if (!content_type.empty()) {
        plan.headers.emplace_back("Content-Type", std::move(content_type));
    }
    plan.length = body.size();
    plan.content_length = body.size();
    plan.body = std::make_shared<const std::string>(std::move(body));
    return plan;
}

ResponsePlan entity_too_large_response() {
    ResponsePlan plan = fixed_response(400, "application/xml",
                                       "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>"
                                       "EntityTooLarge</Code><Message>Your proposed upload exceeds "
                                       "the maximum allowed size</Message></Error>");
    plan.close = true;
    return plan;
}

ResponsePlan bad_request_response(const std::string& why) {
    ResponsePlan plan = fixed_response(400, "text/plain", "Bad Request: " + why + "\n");
    plan.close = true;
    return plan;
}

void add_common_headers(ResponsePlan& plan, const ObjectServer::State& state,
                        const RequestContext& ctx) {
    plan.headers.emplace_back("x-amz-request-id", ctx.request_id);
    plan.headers.emplace_back("x-amz-id-2", "fota-sim");
    plan.headers.emplace_back("Date", http::format_http_date(state.config.clock()));
    plan.headers.emplace_back("Server", "fota-sim");
}

ResponsePlan body_response(unsigned status, std::string content_type, std::string body,
                           const ObjectServer::State& state, const RequestContext& ctx) {
    ResponsePlan plan = fixed_response(status, std::move(content_type), std::move(body));
    add_common_headers(plan, state, ctx);
    if (ctx.head) {
        // A HEAD answer has no body; S3 sends its error status alone.
        plan.length = 0;
        plan.content_length = 0;
    }
    return plan;
}

ResponsePlan s3_error(unsigned status, std::string_view code, std::string_view message,
                      const std::vector<std::pair<std::string, std::string>>& extra,
                      const ObjectServer::State& state, const RequestContext& ctx) {
    return body_response(status, "application/xml",
                         http::s3_error_xml(code, message, extra, ctx.request_id), state, ctx);
}

ResponsePlan empty_response(unsigned status, const ObjectServer::State& state,
                            const RequestContext& ctx) {
    return body_response(status, "", "", state, ctx);
}

ResponsePlan json_response(unsigned status, const nlohmann::json& body,
                           const ObjectServer::State& state, const RequestContext& ctx) {
    return body_response(status, "application/json",
                         body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), state,
                         ctx);
}

ResponsePlan json_error(unsigned status, std::string_view message, const ObjectServer::State& state,
                        const RequestContext& ctx) {
    return json_response(status, nlohmann::json{{"message", message}}, state, ctx);
}

std::vector<std::pair<std::string, std::string>> response_headers(const ResponsePlan& plan) {
    std::vector<std::pair<std::string, std::string>> out = plan.headers;
    out.emplace_back("Content-Length", std::to_string(plan.content_length));
    if (plan.close) {
        out.emplace_back("Connection", "close");
    }
    if (plan.lowercase_headers) {
        for (auto& [name, value] : out) {
            std::transform(name.begin(), name.end(), name.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        }
    }
    return out;
}

std::string serialize_head(const ResponsePlan& plan) {
    std::string out = "HTTP/1.1 " + std::to_string(plan.status) + " ";
    const auto reason = bhttp::obsolete_reason(static_cast<bhttp::status>(plan.status));
    out.append(reason.data(), reason.size());
    out += "\r\n";
    for (const auto& [name, value] : response_headers(plan)) {
        out += name + ": " + value + "\r\n";
    }
    out += "\r\n";
    return out;
}

} // namespace fota::cloud
