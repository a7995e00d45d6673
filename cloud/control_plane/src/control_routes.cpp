// REST path -> service call, with AWS's validation errors for bad input: a table of routes
// (method, path pattern) and one handler each.
#include "fota/cloud/control_dispatch.hpp"
#include "fota/cloud/control_plane.hpp"
#include "fota/cloud/http/uri.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

namespace fota::cloud {

namespace {

using nlohmann::json;

ControlRoute fail(int status, const std::string& type, const std::string& message) {
    ControlRoute route;
    route.error = ControlResult::failure(type, status, message);
    return route;
}

ControlRoute invalid(const std::string& message) {
    return fail(400, "InvalidRequestException", message);
}

ControlRoute make(std::string operation, ControlCall call) {
    ControlRoute route;
    route.operation = std::move(operation);
    route.call = std::move(call);
    return route;
}

/// The JSON body of a call ({} when empty); nullopt when it is not a JSON object.
std::optional<json> json_body(const std::string& body) {
    if (body.empty()) {
        return json::object();
    }
    json j = json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        return std::nullopt;
    }
    return j;
}

bool parse_int64(const std::string& text, std::int64_t& out) {
    if (text.empty() || text.size() > 18 ||
        !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return false;
    }
    out = std::stoll(text);
    return true;
}

struct Query {
    std::vector<http::QueryParam> params;
    std::optional<std::string> get(const char* name) const {
        return http::find_param(params, name);
    }
    bool flag(const char* name) const { return get(name).value_or("") == "true"; }
};

/// Reads ?status&maxResults&nextToken[&jobId]; returns an error message or nullopt.
std::optional<std::string> list_query(const Query& q, ListQuery& out) {
    out.status = q.get("status");
    out.next_token = q.get("nextToken").value_or("");
    out.job_id = q.get("jobId");
    out.attribute_name = q.get("attributeName");
    out.attribute_value = q.get("attributeValue").value_or("");
    if (const auto max = q.get("maxResults")) {
        std::int64_t v = 0;
        if (!parse_int64(*max, v) || v < 1 || v > 250) {
            return "maxResults must be an integer from 1 to 250, not '" + *max + "'";
        }
        out.max_results = static_cast<int>(v);
    }
    return std::nullopt;
}

ControlRoute shadow_route(const std::string& method, const std::string& thing, const Query& q,
                          const std::string& body) {
    const std::string shadow = q.get("name").value_or("");
    if (method == "GET") {
        return make("GetThingShadow", [thing, shadow](CloudCore& core, std::int64_t now) {
            return core.shadow().get_thing_shadow(thing, shadow, now);
        });
    }
    if (method == "POST") {
        return make("UpdateThingShadow", [thing, shadow, body](CloudCore& core, std::int64_t now) {
            return core.shadow().update_thing_shadow(thing, shadow, body, now);
        });
    }
    if (method == "DELETE") {
        return make("DeleteThingShadow", [thing, shadow](CloudCore& core, std::int64_t now) {
            return core.shadow().delete_thing_shadow(thing, shadow, now);
        });
    }
    return fail(405, "MethodNotAllowedException",
                "The method " + method + " is not allowed on /things/" + thing + "/shadow");
}

ControlRoute no_route(const std::string& method, const std::string& path) {
    return fail(404, "ResourceNotFoundException",
                "No fota-sim control-plane operation matches " + method + " " + path +
                    " (supported: spec section 8 iot and iotdata calls; see "
                    "cloud/control_plane/include/fota/cloud/control_plane.hpp)");
}

// One request as the route handlers see it: `s` is the path's segments, decoded.
struct RouteRequest {
    const std::string& method;
    const std::vector<std::string>& s;
    const Query& q;
    const std::string& body;
    const std::string& principal; ///< the x-amzn-principal header
};

// ---- fota-sim's own JSON control API (fault knobs, and every call in one JSON form) -----------

ControlRoute fota_control(const RouteRequest& r) {
    json request = json::parse(r.body, nullptr, false);
    if (request.is_discarded()) {
        return invalid("POST /_fota/control: the body is not valid JSON");
    }
    return make("FotaControl", [request](CloudCore& core, std::int64_t now) {
        return dispatch_control(core, request, now);
    });
}

// ---- iotdata: shadows ------------------------------------------------------------------------

ControlRoute thing_shadow(const RouteRequest& r) {
    return shadow_route(r.method, r.s[1], r.q, r.body);
}

ControlRoute list_named_shadows(const RouteRequest& r) {
    ListQuery lq;
    if (const auto page = r.q.get("pageSize")) {
        std::int64_t v = 0;
        if (!parse_int64(*page, v) || v < 1 || v > 100) {
            return invalid("pageSize must be an integer from 1 to 100");
        }
        lq.max_results = static_cast<int>(v);
    }
    lq.next_token = r.q.get("nextToken").value_or("");
    const std::string thing = r.s[4];
    return make("ListNamedShadowsForThing", [thing, lq](CloudCore& core, std::int64_t now) {
        return core.shadow().list_named_shadows_for_thing(thing, lq, now);
    });
}

// ---- iot: things -----------------------------------------------------------------------------

ControlRoute list_things(const RouteRequest& r) {
    ListQuery lq;
    if (const auto error = list_query(r.q, lq)) {
        return invalid(*error);
    }
    return make("ListThings",
                [lq](CloudCore& core, std::int64_t) { return core.jobs().list_things(lq); });
}

ControlRoute create_thing(const RouteRequest& r) {
    const std::string thing = r.s[1];
    const auto b = json_body(r.body);
    if (!b) {
        return invalid("CreateThing: the body must be a JSON object");
    }
    return make("CreateThing", [thing, b = *b](CloudCore& core, std::int64_t now) {
        return core.jobs().create_thing(thing, b, now);
    });
}

ControlRoute describe_thing(const RouteRequest& r) {
    const std::string thing = r.s[1];
    return make("DescribeThing", [thing](CloudCore& core, std::int64_t) {
        return core.jobs().describe_thing(thing);
    });
}

ControlRoute delete_thing(const RouteRequest& r) {
    const std::string thing = r.s[1];
    std::optional<std::int64_t> expected;
    if (const auto v = r.q.get("expectedVersion")) {
        std::int64_t n = 0;
        if (!parse_int64(*v, n)) {
            return invalid("expectedVersion must be a non-negative integer, not '" + *v + "'");
        }
        expected = n;
    }
    return make("DeleteThing", [thing, expected](CloudCore& core, std::int64_t) {
        if (core.identity().has_principals(thing)) {
            return ControlResult::failure("InvalidRequestException", 400,
                                          "Cannot delete thing " + thing +
                                              ": detach its principals first");
        }
        return core.jobs().delete_thing(thing, expected);
    });
}

// ---- iot: identity (endpoint, certificates, policies, thing principals) -----------------------

ControlRoute describe_endpoint(const RouteRequest& r) {
    const std::string type = r.q.get("endpointType").value_or("");
    return make("DescribeEndpoint", [type](CloudCore& core, std::int64_t) {
        return core.identity().describe_endpoint(type);
    });
}

ControlRoute create_keys_and_certificate(const RouteRequest& r) {
    const bool active = r.q.flag("setAsActive");
    return make("CreateKeysAndCertificate", [active](CloudCore& core, std::int64_t now) {
        return core.identity().create_keys_and_certificate(active, now);
    });
}

ControlRoute describe_certificate(const RouteRequest& r) {
    const std::string id = r.s[1];
    return make("DescribeCertificate", [id](CloudCore& core, std::int64_t) {
        return core.identity().describe_certificate(id);
    });
}

ControlRoute list_certificates(const RouteRequest&) {
    return make("ListCertificates",
                [](CloudCore& core, std::int64_t) { return core.identity().list_certificates(); });
}

ControlRoute list_policies(const RouteRequest&) {
    return make("ListPolicies",
                [](CloudCore& core, std::int64_t) { return core.identity().list_policies(); });
}

ControlRoute update_certificate(const RouteRequest& r) {
    const std::string id = r.s[1];
    const auto status = r.q.get("newStatus");
    if (!status) {
        return invalid("UpdateCertificate needs ?newStatus=ACTIVE|INACTIVE");
    }
    return make("UpdateCertificate", [id, status = *status](CloudCore& core, std::int64_t now) {
        return core.identity().update_certificate(id, status, now);
    });
}

ControlRoute delete_certificate(const RouteRequest& r) {
    const std::string id = r.s[1];
    const bool force = r.q.flag("forceDelete");
    return make("DeleteCertificate", [id, force](CloudCore& core, std::int64_t) {
        return core.identity().delete_certificate(id, force);
    });
}

ControlRoute create_policy(const RouteRequest& r) {
    const std::string name = r.s[1];
    const auto b = json_body(r.body);
    if (!b) {
        return invalid("CreatePolicy: the body must be a JSON object");
    }
    return make("CreatePolicy", [name, b = *b](CloudCore& core, std::int64_t now) {
        return core.identity().create_policy(name, b, now);
    });
}

ControlRoute get_policy(const RouteRequest& r) {
    const std::string name = r.s[1];
    return make("GetPolicy",
                [name](CloudCore& core, std::int64_t) { return core.identity().get_policy(name); });
}

ControlRoute delete_policy(const RouteRequest& r) {
    const std::string name = r.s[1];
    return make("DeletePolicy", [name](CloudCore& core, std::int64_t) {
        return core.identity().delete_policy(name);
    });
}

ControlRoute attach_policy(const RouteRequest& r) {
    const std::string name = r.s[1];
    const auto b = json_body(r.body);
    if (!b) {
        return invalid("AttachPolicy: the body must be a JSON object");
    }
    return make("AttachPolicy", [name, b = *b](CloudCore& core, std::int64_t) {
        return core.identity().attach_policy(name, b);
    });
}

ControlRoute detach_policy(const RouteRequest& r) {
    const std::string name = r.s[1];
    const auto b = json_body(r.body);
    if (!b) {
        return invalid("DetachPolicy: the body must be a JSON object");
    }
    return make("DetachPolicy", [name, b = *b](CloudCore& core, std::int64_t) {
        return core.identity().detach_policy(name, b);
    });
}

ControlRoute list_attached_policies(const RouteRequest& r) {
    const std::string target = r.s[1];
    return make("ListAttachedPolicies", [target](CloudCore& core, std::int64_t) {
        return core.identity().list_attached_policies(target);
    });
}

ControlRoute thing_principals(const RouteRequest& r) {
    const std::string thing = r.s[1];
    const std::string principal = r.principal;
    if (r.method == "GET") {
        return make("ListThingPrincipals", [thing](CloudCore& core, std::int64_t) {
            return core.identity().list_thing_principals(thing);
        });
    }
    if (principal.empty()) {
        return invalid("the x-amzn-principal header (a certificate ARN) is required");
    }
    if (r.method == "PUT") {
        return make("AttachThingPrincipal", [thing, principal](CloudCore& core, std::int64_t) {
            return core.identity().attach_thing_principal(thing, principal);
        });
    }
    if (r.method == "DELETE") {
        return make("DetachThingPrincipal", [thing, principal](CloudCore& core, std::int64_t) {
            return core.identity().detach_thing_principal(thing, principal);
        });
    }
    return fail(405, "MethodNotAllowedException",
                "The method " + r.method + " is not allowed on /things/" + thing + "/principals");
}

// ---- iot: job executions ---------------------------------------------------------------------

ControlRoute list_executions_for_thing(const RouteRequest& r) {
    ListQuery lq;
    if (const auto error = list_query(r.q, lq)) {
        return invalid(*error);
    }
    const std::string thing = r.s[1];
    return make("ListJobExecutionsForThing", [thing, lq](CloudCore& core, std::int64_t) {
        return core.jobs().list_job_executions_for_thing(thing, lq);
    });
}

ControlRoute describe_job_execution(const RouteRequest& r) {
    const std::string thing = r.s[1];
    const std::string job = r.s[3];
    std::optional<std::int64_t> execution;
    if (const auto n = r.q.get("executionNumber")) {
        std::int64_t v = 0;
        if (!parse_int64(*n, v)) {
            return invalid("executionNumber must be a non-negative integer, not '" + *n + "'");
        }
        execution = v;
    }
    return make("DescribeJobExecution", [thing, job, execution](CloudCore& core, std::int64_t now) {
        return core.jobs().describe_job_execution(thing, job, execution, now);
    });
}

ControlRoute cancel_job_execution(const RouteRequest& r) {
    const auto b = json_body(r.body);
    if (!b) {
        return invalid("CancelJobExecution: the body must be a JSON object");
    }
    const std::string thing = r.s[1];
    const std::string job = r.s[3];
    const bool force = r.q.flag("force");
    return make("CancelJobExecution",
                [thing, job, force, b = *b](CloudCore& core, std::int64_t now) {
                    return core.jobs().cancel_job_execution(thing, job, force, b, now);
                });
}

ControlRoute delete_job_execution(const RouteRequest& r) {
    std::int64_t execution = 0;
    if (!parse_int64(r.s[5], execution)) {
        return invalid("executionNumber must be a non-negative integer, not '" + r.s[5] + "'");
    }
    const std::string thing = r.s[1];
    const std::string job = r.s[3];
    const bool force = r.q.flag("force");
    return make("DeleteJobExecution",
                [thing, job, execution, force](CloudCore& core, std::int64_t now) {
                    return core.jobs().delete_job_execution(thing, job, execution, force, now);
                });
}

// ---- iot: jobs -------------------------------------------------------------------------------

ControlRoute list_jobs(const RouteRequest& r) {
    ListQuery lq;
    if (const auto error = list_query(r.q, lq)) {
        return invalid(*error);
    }
    return make("ListJobs",
                [lq](CloudCore& core, std::int64_t) { return core.jobs().list_jobs(lq); });
}

ControlRoute create_job(const RouteRequest& r) {
    const std::string job = r.s[1];
    const auto b = json_body(r.body);
    if (!b) {
        return invalid("CreateJob: the body must be a JSON object");
    }
    return make("CreateJob", [job, b = *b](CloudCore& core, std::int64_t now) {
        return core.jobs().create_job(job, b, now);
    });
}

ControlRoute describe_job(const RouteRequest& r) {
    const std::string job = r.s[1];
    return make("DescribeJob",
                [job](CloudCore& core, std::int64_t) { return core.jobs().describe_job(job); });
}

ControlRoute delete_job(const RouteRequest& r) {
    const std::string job = r.s[1];
    const bool force = r.q.flag("force");
    return make("DeleteJob", [job, force](CloudCore& core, std::int64_t now) {
        return core.jobs().delete_job(job, force, now);
    });
}

ControlRoute get_job_document(const RouteRequest& r) {
    const std::string job = r.s[1];
    return make("GetJobDocument",
                [job](CloudCore& core, std::int64_t) { return core.jobs().get_job_document(job); });
}

ControlRoute cancel_job(const RouteRequest& r) {
    const std::string job = r.s[1];
    const auto b = json_body(r.body);
    if (!b) {
        return invalid("CancelJob: the body must be a JSON object");
    }
    const bool force = r.q.flag("force");
    return make("CancelJob", [job, force, b = *b](CloudCore& core, std::int64_t now) {
        return core.jobs().cancel_job(job, force, b, now);
    });
}

ControlRoute list_executions_for_job(const RouteRequest& r) {
    ListQuery lq;
    if (const auto error = list_query(r.q, lq)) {
        return invalid(*error);
    }
    const std::string job = r.s[1];
    return make("ListJobExecutionsForJob", [job, lq](CloudCore& core, std::int64_t) {
        return core.jobs().list_job_executions_for_job(job, lq);
    });
}

// Method ("" for any: the handler answers 405 itself), path pattern ("*" is one segment), handler.
struct RouteEntry {
    std::string_view method;
    std::string_view pattern;
    ControlRoute (*handler)(const RouteRequest&);
};

constexpr RouteEntry routes[] = {
    {"POST", "_fota/control", fota_control},
    {"", "things/*/shadow", thing_shadow},
    {"GET", "api/things/shadow/ListNamedShadowsForThing/*", list_named_shadows},
    {"GET", "things", list_things},
    {"POST", "things/*", create_thing},
    {"GET", "things/*", describe_thing},
    {"DELETE", "things/*", delete_thing},
    {"", "things/*/principals", thing_principals},
    {"GET", "endpoint", describe_endpoint},
    {"POST", "keys-and-certificate", create_keys_and_certificate},
    {"GET", "certificates", list_certificates},
    {"GET", "certificates/*", describe_certificate},
    {"PUT", "certificates/*", update_certificate},
    {"DELETE", "certificates/*", delete_certificate},
    {"GET", "policies", list_policies},
    {"POST", "policies/*", create_policy},
    {"GET", "policies/*", get_policy},
    {"DELETE", "policies/*", delete_policy},
    {"PUT", "target-policies/*", attach_policy},
    {"POST", "target-policies/*", detach_policy},
    {"POST", "attached-policies/*", list_attached_policies},
    {"GET", "things/*/jobs", list_executions_for_thing},
    {"GET", "things/*/jobs/*", describe_job_execution},
    {"PUT", "things/*/jobs/*/cancel", cancel_job_execution},
    {"DELETE", "things/*/jobs/*/executionNumber/*", delete_job_execution},
    {"GET", "jobs", list_jobs},
    {"PUT", "jobs/*", create_job},
    {"GET", "jobs/*", describe_job},
    {"DELETE", "jobs/*", delete_job},
    {"GET", "jobs/*/job-document", get_job_document},
    {"PUT", "jobs/*/cancel", cancel_job},
    {"GET", "jobs/*/things", list_executions_for_job},
};

bool matches(std::string_view pattern, const std::vector<std::string>& segments) {
    std::size_t index = 0;
    while (true) {
        const auto slash = pattern.find('/');
        const std::string_view part = pattern.substr(0, slash);
        if (index >= segments.size() || (part != "*" && part != segments[index])) {
            return false;
        }
        ++index;
        if (slash == std::string_view::npos) {
            return index == segments.size();
        }
        pattern.remove_prefix(slash + 1);
    }
}

} // namespace

ControlRoute route_control_request(const std::string& method, const std::string& target,
                                   const std::string& body, const std::string& service,
                                   const std::string& principal) {
    const auto parts = http::split_target(target);
    const auto segments = http::split_path(parts.path);
    const auto params = http::parse_query(parts.query);
    if (!segments || !params) {
        return invalid("The request path or query string has a malformed %-escape.");
    }
    if (service == "iot-jobs-data") {
        return fail(404, "ResourceNotFoundException",
                    "The iot-jobs-data HTTPS device API is not served by fota-sim; devices use the "
                    "Jobs MQTT API");
    }
    const Query q{*params};
    const RouteRequest request{method, *segments, q, body, principal};
    for (const auto& route : routes) {
        if ((route.method.empty() || route.method == method) && matches(route.pattern, *segments)) {
            return route.handler(request);
        }
    }
    return no_route(method, std::string(parts.path));
}

http::RestResponse control_response(const ControlResult& result) {
    http::RestResponse response;
    if (result.error) {
        response.status = static_cast<unsigned>(result.error->http_status);
        response.headers.emplace_back("x-amzn-ErrorType", result.error->type);
        response.headers.emplace_back("Content-Type", "application/json");
        response.body = json{{"message", result.error->message}}.dump(
            -1, ' ', false, json::error_handler_t::replace);
        return response;
    }
    response.headers.emplace_back("Content-Type", "application/json");
    if (!result.body.is_null()) {
        response.body = result.body.dump(-1, ' ', false, json::error_handler_t::replace);
    }
    return response;
}

} // namespace fota::cloud
