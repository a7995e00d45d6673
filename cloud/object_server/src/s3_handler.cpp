#include "s3_handler.hpp"
#include "s3_operations.hpp"

#include "fota/cloud/http/aws_errors.hpp"
#include "fota/cloud/http/byte_range.hpp"
#include "fota/cloud/http/crypto.hpp"
#include "fota/cloud/http/uri.hpp"
#include "fota/cloud/http/xml.hpp"

#include <boost/beast/http/status.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace fota::cloud {

namespace bhttp = boost::beast::http;

namespace {

constexpr const char* xml_namespace = "http://s3.amazonaws.com/doc/2006-03-01/";

bool starts_with(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && s.substr(0, prefix.size()) == prefix;
}

std::string_view sv(boost::beast::string_view s) {
    return {s.data(), s.size()};
}

nlohmann::json counters_json(const ObjectCounters& c) {
    return {{"requests", c.requests},
            {"get_requests", c.get_requests},
            {"head_requests", c.head_requests},
            {"put_requests", c.put_requests},
            {"range_requests", c.range_requests},
            {"bytes_served", c.bytes_served},
            {"complete_responses", c.complete_responses},
            {"aborted_responses", c.aborted_responses},
            {"error_responses", c.error_responses}};
}

http::SigV4Request signable(const HttpRequest& req) {
    http::SigV4Request s;
    s.method = std::string(req.method_string());
    s.target = std::string(req.target());
    for (const auto& field : req) {
        s.headers.push_back({std::string(field.name_string()), std::string(field.value())});
    }
    s.body = req.body();
    return s;
}

/// Checks the request's SigV4 authentication; returns an S3 error plan, or nullopt when allowed.
std::optional<ResponsePlan> authenticate(const ObjectServer::State& state, const HttpRequest& req,
                                         const RequestContext& ctx) {
    const auto& creds = state.config.credentials;
    http::SecretLookup lookup;
    if (creds) {
        lookup = [creds](std::string_view akid) -> std::optional<std::string> {
            if (akid == creds->access_key_id) {
                return creds->secret_access_key;
            }
            return std::nullopt;
        };
    }
    http::VerifyOptions options;
    options.check_signature = creds.has_value();
    const auto verdict = http::verify_sigv4(signable(req), lookup, state.config.clock(), options);
    using S = http::SigV4Status;
    switch (verdict.status) {
    case S::ok:
        return std::nullopt;
    case S::anonymous:
        if (!creds) {
            return std::nullopt;
        }
        return s3_error(403, "AccessDenied", "Access Denied", {}, state, ctx);
    case S::expired: {
        const auto expires_at = verdict.signed_at + std::chrono::seconds(verdict.expires_seconds);
        return s3_error(403, "AccessDenied", "Request has expired",
                        {{"X-Amz-Expires", std::to_string(verdict.expires_seconds)},
                         {"Expires", http::format_iso8601(expires_at)},
                         {"ServerTime", http::format_iso8601(state.config.clock())}},
                        state, ctx);
    }
    case S::not_yet_valid:
        return s3_error(403, "AccessDenied", "Request is not valid yet", {}, state, ctx);
    case S::unknown_access_key:
        return s3_error(403, "InvalidAccessKeyId", verdict.message,
                        {{"AWSAccessKeyId", verdict.access_key_id}}, state, ctx);
    case S::signature_mismatch:
        return s3_error(403, "SignatureDoesNotMatch", verdict.message,
                        {{"AWSAccessKeyId", verdict.access_key_id},
                         {"StringToSign", verdict.string_to_sign},
                         {"CanonicalRequest", verdict.canonical_request}},
                        state, ctx);
    case S::clock_skew:
        return s3_error(403, "RequestTimeTooSkewed", verdict.message,
                        {{"RequestTime", http::format_iso8601(verdict.signed_at)},
                         {"ServerTime", http::format_iso8601(state.config.clock())}},
                        state, ctx);
    case S::payload_hash_mismatch:
        return s3_error(400, "XAmzContentSHA256Mismatch", verdict.message, {}, state, ctx);
    case S::unsupported_algorithm:
    case S::malformed:
        return s3_error(400,
                        verdict.presigned ? "AuthorizationQueryParametersError"
                                          : "AuthorizationHeaderMalformed",
                        verdict.message, {}, state, ctx);
    }
    return s3_error(403, "AccessDenied", "Access Denied", {}, state, ctx);
}

// The Content-Range of a partial answer, bent as a wrong_content_range fault says (if one
// matches).
std::string content_range_for(ObjectServer::State& state, const RequestContext& ctx,
                              const std::string& bucket, const std::string& key,
                              const http::ByteRangeResult& range, std::uint64_t size) {
    std::string content_range = http::content_range_value(range.first, range.last, size);
    if (ctx.head) {
        return content_range;
    }
    const auto wrong =
        state.take_fault(ObjectFault::Kind::wrong_content_range, bucket, key, range.first);
    if (!wrong) {
        return content_range;
    }
    if (!wrong->content_range.empty()) {
        return wrong->content_range;
    }
    if (!wrong->mismatch.empty()) {
        std::uint64_t first = range.first;
        std::uint64_t last = range.last;
        std::string total = std::to_string(size);
        if (wrong->mismatch == "start") {
            first += 1;
        } else if (wrong->mismatch == "end") {
            last = last > first ? last - 1 : last + 1;
        } else if (wrong->mismatch == "total") {
            total = std::to_string(size + 1);
        } else {
            total = "*";
        }
        return "bytes " + std::to_string(first) + "-" + std::to_string(last) + "/" + total;
    }
    const auto shifted = [&](std::uint64_t v) {
        const auto s = static_cast<std::int64_t>(v) + wrong->shift;
        return static_cast<std::uint64_t>(s < 0 ? 0 : s);
    };
    return "bytes " + std::to_string(shifted(range.first)) + "-" +
           std::to_string(shifted(range.last)) + "/" + std::to_string(size);
}

// Applies the request's Range header to `plan` (206 and Content-Range); an unsatisfiable range
// returns the 416 answer instead.
std::optional<ResponsePlan> apply_range(ResponsePlan& plan, ObjectServer::State& state,
                                        const HttpRequest& req, const RequestContext& ctx,
                                        const std::string& bucket, const std::string& key,
                                        std::uint64_t size) {
    const auto range_it = req.find(bhttp::field::range);
    const bool has_range = range_it != req.end();
    if (has_range && !ctx.head) {
        ++state.counters_for(bucket, key).range_requests;
    }
    if (!has_range) {
        return std::nullopt;
    }
    const auto range = http::resolve_range(sv(range_it->value()), size);
    const auto first = range.outcome == http::RangeOutcome::partial
                           ? std::optional<std::uint64_t>(range.first)
                           : std::nullopt;
    if (!ctx.head && state.take_fault(ObjectFault::Kind::ignore_range, bucket, key, first)) {
        return std::nullopt;
    }
    if (range.outcome == http::RangeOutcome::unsatisfiable) {
        auto err = s3_error(416, "InvalidRange", "The requested range is not satisfiable",
                            {{"RangeRequested", std::string(range_it->value())},
                             {"ActualObjectSize", std::to_string(size)}},
                            state, ctx);
        err.headers.emplace_back("Content-Range", "bytes */" + std::to_string(size));
        return err;
    }
    if (range.outcome == http::RangeOutcome::partial) {
        plan.status = 206;
        plan.offset = range.first;
        plan.length = range.last - range.first + 1;
        plan.headers.emplace_back("Content-Range",
                                  content_range_for(state, ctx, bucket, key, range, size));
    }
    return std::nullopt;
}

// The fault knobs that shape how a GetObject body is sent (cut, paced, paused, ...).
void apply_body_faults(ResponsePlan& plan, ObjectServer::State& state, const std::string& bucket,
                       const std::string& key) {
    if (const auto f = state.take_fault(ObjectFault::Kind::close_after_bytes, bucket, key)) {
        plan.close_after = f->bytes;
    }
    if (const auto f = state.take_fault(ObjectFault::Kind::throttle, bucket, key)) {
        plan.throttle_bytes_per_second = f->bytes_per_second;
    }
    if (const auto f = state.take_fault(ObjectFault::Kind::stall, bucket, key)) {
        plan.stall_after = f->bytes;
        plan.stall_for = f->duration;
    }
    if (state.take_fault(ObjectFault::Kind::connection_close, bucket, key)) {
        plan.close = true;
    }
    if (const auto f = state.take_fault(ObjectFault::Kind::long_header, bucket, key)) {
        plan.headers.emplace_back("X-Fota-Padding", std::string(f->bytes, 'p'));
    }
    if (state.take_fault(ObjectFault::Kind::lowercase_headers, bucket, key)) {
        plan.lowercase_headers = true;
    }
}

ResponsePlan get_object(ObjectServer::State& state, const HttpRequest& req,
                        const RequestContext& ctx, const std::string& bucket,
                        const std::string& key) {
    auto& counters = state.counters_for(bucket, key);
    if (ctx.head) {
        ++counters.head_requests;
    } else {
        ++counters.get_requests;
    }
    const auto b = state.buckets.find(bucket);
    if (b == state.buckets.end()) {
        return s3_error(404, "NoSuchBucket", "The specified bucket does not exist",
                        {{"BucketName", bucket}}, state, ctx);
    }
    const auto o = b->second.objects.find(key);
    if (o == b->second.objects.end()) {
        return s3_error(404, "NoSuchKey", "The specified key does not exist.", {{"Key", key}},
                        state, ctx);
    }
    if (const auto redirect = state.take_fault(ObjectFault::Kind::redirect, bucket, key)) {
        ResponsePlan moved = empty_response(static_cast<unsigned>(redirect->status), state, ctx);
        moved.headers.emplace_back("Location", redirect->location);
        return moved;
    }
    const StoredObject& object = o->second;
    const std::uint64_t size = object.data->size();
    ResponsePlan plan;
    plan.body = object.data;
    plan.offset = 0;
    plan.length = size;
    add_common_headers(plan, state, ctx);
    plan.headers.emplace_back("Accept-Ranges", "bytes");
    plan.headers.emplace_back("Last-Modified", http::format_http_date(object.last_modified));
    plan.headers.emplace_back("ETag", object.etag);
    plan.headers.emplace_back("Content-Type", object.content_type);
    if (auto unsatisfiable = apply_range(plan, state, req, ctx, bucket, key, size)) {
        return *unsatisfiable;
    }
    plan.content_length = plan.length;
    if (ctx.head) {
        plan.length = 0;
        return plan;
    }
    plan.bucket = bucket;
    plan.key = key;
    plan.counts_body = true;
    apply_body_faults(plan, state, bucket, key);
    return plan;
}

ResponsePlan put_object(ObjectServer::State& state, const HttpRequest& req,
                        const RequestContext& ctx, const std::string& bucket,
                        const std::string& key, const std::vector<http::QueryParam>& query) {
    if (http::find_param(query, "uploadId") || http::find_param(query, "partNumber")) {
        return upload_part(state, req, ctx, bucket, key, query);
    }
    ++state.counters_for(bucket, key).put_requests;
    if (req.find("x-amz-copy-source") != req.end()) {
        return s3_error(501, "NotImplemented", "CopyObject is not implemented.", {}, state, ctx);
    }
    const auto b = state.buckets.find(bucket);
    if (b == state.buckets.end()) {
        return s3_error(404, "NoSuchBucket", "The specified bucket does not exist",
                        {{"BucketName", bucket}}, state, ctx);
    }
    auto payload = request_payload(state, req, ctx);
    if (auto* error = std::get_if<ResponsePlan>(&payload)) {
        return *error;
    }
    std::string content_type = "binary/octet-stream";
    if (const auto ct = req.find(bhttp::field::content_type); ct != req.end()) {
        content_type = std::string(ct->value());
    }
    StoredObject object =
        state.make_object(std::move(std::get<std::string>(payload)), std::move(content_type));
    const std::string etag = object.etag;
    b->second.objects[key] = std::move(object);
    ResponsePlan plan = empty_response(200, state, ctx);
    plan.headers.emplace_back("ETag", etag);
    return plan;
}

// POST on an object: CreateMultipartUpload (?uploads) or CompleteMultipartUpload (?uploadId).
ResponsePlan post_object(ObjectServer::State& state, const HttpRequest& req,
                         const RequestContext& ctx, const std::string& bucket,
                         const std::string& key, const std::vector<http::QueryParam>& query) {
    if (http::find_param(query, "uploads")) {
        return create_multipart_upload(state, req, ctx, bucket, key);
    }
    if (http::find_param(query, "uploadId")) {
        return complete_multipart_upload(state, req, ctx, bucket, key, query);
    }
    return s3_error(405, "MethodNotAllowed",
                    "The specified method is not allowed against this resource.",
                    {{"Method", "POST"}, {"ResourceType", "OBJECT"}}, state, ctx);
}

ResponsePlan list_buckets(const ObjectServer::State& state, const RequestContext& ctx) {
    std::string xml =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListAllMyBucketsResult xmlns=\"";
    xml += xml_namespace;
    xml += "\"><Owner><ID>fota-sim</ID><DisplayName>fota-sim</DisplayName></Owner><Buckets>";
    for (const auto& [name, bucket] : state.buckets) {
        xml += "<Bucket><Name>" + http::xml_escape(name) + "</Name><CreationDate>" +
               http::format_iso8601(bucket.created) + "</CreationDate></Bucket>";
    }
    xml += "</Buckets></ListAllMyBucketsResult>";
    return body_response(200, "application/xml", std::move(xml), state, ctx);
}

bool valid_bucket_name(std::string_view name) {
    if (name.size() < 3 || name.size() > 63) {
        return false;
    }
    auto ok = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
    };
    return std::all_of(name.begin(), name.end(), ok) &&
           std::isalnum(static_cast<unsigned char>(name.front())) &&
           std::isalnum(static_cast<unsigned char>(name.back()));
}

// CreateBucket: a CreateBucketConfiguration body, when sent, must name the store's region. As S3
// in us-east-1, creating a bucket one already owns succeeds; elsewhere it is
// BucketAlreadyOwnedByYou.
ResponsePlan create_bucket(ObjectServer::State& state, const HttpRequest& req,
                           const RequestContext& ctx, const std::string& bucket) {
    if (!valid_bucket_name(bucket)) {
        return s3_error(400, "InvalidBucketName", "The specified bucket is not valid.",
                        {{"BucketName", bucket}}, state, ctx);
    }
    std::string location;
    if (!req.body().empty()) {
        const auto doc = parse_request_xml(req.body());
        if (!doc || doc->begin()->first != "CreateBucketConfiguration") {
            return malformed_xml(state, ctx);
        }
        location = doc->begin()->second.get("LocationConstraint", std::string());
    }
    const std::string& region = state.config.region;
    if (location != (region == "us-east-1" ? std::string() : region)) {
        return s3_error(400,
                        location.empty() ? "IllegalLocationConstraintException"
                                         : "InvalidLocationConstraint",
                        "The " + (location.empty() ? std::string("unspecified") : location) +
                            " location constraint is incompatible for the region specific "
                            "endpoint this request was sent to (" +
                            region + ").",
                        {{"LocationConstraint", location}}, state, ctx);
    }
    if (state.buckets.count(bucket) != 0 && region != "us-east-1") {
        return s3_error(409, "BucketAlreadyOwnedByYou",
                        "Your previous request to create the named bucket succeeded and you "
                        "already own it.",
                        {{"BucketName", bucket}}, state, ctx);
    }
    auto& created = state.buckets[bucket].created;
    if (created == http::TimePoint{}) {
        created = state.config.clock();
    }
    ResponsePlan plan = empty_response(200, state, ctx);
    plan.headers.emplace_back("Location", "/" + bucket);
    return plan;
}

ResponsePlan bucket_request(ObjectServer::State& state, const HttpRequest& req,
                            const RequestContext& ctx, const std::string& bucket,
                            const std::vector<http::QueryParam>& query) {
    const auto b = state.buckets.find(bucket);
    switch (req.method()) {
    case bhttp::verb::put:
        return create_bucket(state, req, ctx, bucket);
    case bhttp::verb::head:
        if (b == state.buckets.end()) {
            return s3_error(404, "NoSuchBucket", "The specified bucket does not exist",
                            {{"BucketName", bucket}}, state, ctx);
        }
        return empty_response(200, state, ctx);
    case bhttp::verb::get:
        if (http::find_param(query, "uploads")) {
            return s3_error(
                501, "NotImplemented",
                "ListMultipartUploads is not implemented by the fota-sim object server.", {}, state,
                ctx);
        }
        return list_objects(state, ctx, bucket, query);
    case bhttp::verb::delete_:
        if (b == state.buckets.end()) {
            return s3_error(404, "NoSuchBucket", "The specified bucket does not exist",
                            {{"BucketName", bucket}}, state, ctx);
        }
        if (!b->second.objects.empty()) {
            return s3_error(409, "BucketNotEmpty", "The bucket you tried to delete is not empty",
                            {{"BucketName", bucket}}, state, ctx);
        }
        state.buckets.erase(b);
        drop_bucket_uploads(state, bucket);
        return empty_response(204, state, ctx);
    default:
        return s3_error(
            405, "MethodNotAllowed", "The specified method is not allowed against this resource.",
            {{"Method", std::string(req.method_string())}, {"ResourceType", "BUCKET"}}, state, ctx);
    }
}

// ---- the control API (/_fota/...; see object_server.hpp) -------------------------------------

ResponsePlan control_health(ObjectServer::State& state, const HttpRequest&,
                            const RequestContext& ctx, std::string_view) {
    return json_response(200, {{"ok", true}}, state, ctx);
}

ResponsePlan control_list_faults(ObjectServer::State& state, const HttpRequest&,
                                 const RequestContext& ctx, std::string_view) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& f : state.faults) {
        list.push_back(nlohmann::json::parse(object_fault_json(f)));
    }
    return json_response(200, {{"faults", list}}, state, ctx);
}

// One fault object, or {"faults":[...]}; all are checked before any is added.
ResponsePlan control_add_faults(ObjectServer::State& state, const HttpRequest& req,
                                const RequestContext& ctx, std::string_view route) {
    const auto body = nlohmann::json::parse(req.body(), nullptr, false);
    std::vector<std::string> items;
    if (!body.is_discarded() && body.is_object() && body.contains("faults")) {
        if (!body["faults"].is_array()) {
            return json_error(400, "\"faults\" must be an array of fault objects", state, ctx);
        }
        for (const auto& f : body["faults"]) {
            items.push_back(f.dump());
        }
    } else {
        items.push_back(req.body());
    }
    std::vector<ObjectFault> parsed;
    for (const auto& item : items) {
        auto result = parse_object_fault(item);
        if (auto* error = std::get_if<std::string>(&result)) {
            return json_error(400, *error, state, ctx);
        }
        parsed.push_back(std::get<ObjectFault>(result));
    }
    for (auto& f : parsed) {
        state.faults.push_back(std::move(f));
    }
    return control_list_faults(state, req, ctx, route);
}

ResponsePlan control_clear_faults(ObjectServer::State& state, const HttpRequest&,
                                  const RequestContext& ctx, std::string_view) {
    state.faults.clear();
    return json_response(200, {{"faults", nlohmann::json::array()}}, state, ctx);
}

ResponsePlan control_counters(ObjectServer::State& state, const HttpRequest&,
                              const RequestContext& ctx, std::string_view) {
    nlohmann::json objects = nlohmann::json::object();
    for (const auto& [name, c] : state.counters) {
        objects[name] = counters_json(c);
    }
    return json_response(
        200, {{"total", counters_json(sum_counters(state.counters))}, {"objects", objects}}, state,
        ctx);
}

ResponsePlan control_reset_counters(ObjectServer::State& state, const HttpRequest&,
                                    const RequestContext& ctx, std::string_view) {
    state.counters.clear();
    return json_response(200, {{"ok", true}}, state, ctx);
}

// PUT /_fota/objects/<bucket>/<key>: stores an object without signing (creates the bucket).
ResponsePlan control_put_object(ObjectServer::State& state, const HttpRequest& req,
                                const RequestContext& ctx, std::string_view route) {
    const std::string_view rest = route.substr(std::string_view("/objects/").size());
    const auto slash = rest.find('/');
    const auto bucket = http::percent_decode(rest.substr(0, slash));
    const auto key = http::percent_decode(slash == std::string_view::npos ? std::string_view{}
                                                                          : rest.substr(slash + 1));
    if (!bucket || !key || bucket->empty() || key->empty()) {
        return json_error(400, "expected PUT /_fota/objects/<bucket>/<key>", state, ctx);
    }
    auto& b = state.buckets[*bucket];
    if (b.objects.empty() && b.created == http::TimePoint{}) {
        b.created = state.config.clock();
    }
    ++state.counters_for(*bucket, *key).put_requests;
    b.objects[*key] = state.make_object(req.body(), "application/octet-stream");
    return json_response(200, {{"etag", b.objects[*key].etag}, {"size", req.body().size()}}, state,
                         ctx);
}

ResponsePlan control_presign(ObjectServer::State& state, const HttpRequest& req,
                             const RequestContext& ctx, std::string_view) {
    const auto body = nlohmann::json::parse(req.body(), nullptr, false);
    if (body.is_discarded() || !body.is_object() || !body.contains("bucket") ||
        !body["bucket"].is_string() || !body.contains("key") || !body["key"].is_string()) {
        return json_error(400, "expected {\"bucket\":\"...\",\"key\":\"...\",\"expires\":seconds}",
                          state, ctx);
    }
    long long expires = 3600;
    if (body.contains("expires")) {
        if (!body["expires"].is_number_integer() || body["expires"].get<long long>() < 1 ||
            body["expires"].get<long long>() > 604800) {
            return json_error(400, "\"expires\" must be an integer from 1 to 604800", state, ctx);
        }
        expires = body["expires"].get<long long>();
    }
    const auto url =
        state.presign_url(body["bucket"].get<std::string>(), body["key"].get<std::string>(),
                          std::chrono::seconds(expires));
    return json_response(200, {{"url", url}}, state, ctx);
}

using ControlHandler = ResponsePlan (*)(ObjectServer::State&, const HttpRequest&,
                                        const RequestContext&, std::string_view route);

struct ControlRoute {
    std::string_view path;
    bool prefix; ///< path is a prefix of the route (the rest names an object)
    bhttp::verb method;
    ControlHandler handler;
};

constexpr ControlRoute control_routes[] = {
    {"/health", false, bhttp::verb::get, control_health},
    {"/faults", false, bhttp::verb::get, control_list_faults},
    {"/faults", false, bhttp::verb::post, control_add_faults},
    {"/faults", false, bhttp::verb::delete_, control_clear_faults},
    {"/counters", false, bhttp::verb::get, control_counters},
    {"/counters", false, bhttp::verb::delete_, control_reset_counters},
    {"/objects/", true, bhttp::verb::put, control_put_object},
    {"/presign", false, bhttp::verb::post, control_presign},
};

ResponsePlan control_request(ObjectServer::State& state, const HttpRequest& req,
                             const RequestContext& ctx, std::string_view raw_path) {
    const std::string_view route = raw_path.substr(std::string_view("/_fota").size());
    for (const auto& candidate : control_routes) {
        const bool path_matches =
            candidate.prefix ? starts_with(route, candidate.path) : route == candidate.path;
        if (path_matches && req.method() == candidate.method) {
            return candidate.handler(state, req, ctx, route);
        }
    }
    return json_error(404,
                      "unknown control route " + std::string(req.method_string()) + " " +
                          std::string(raw_path) +
                          "; see cloud/object_server/include/fota/cloud/object_server.hpp",
                      state, ctx);
}

ResponsePlan dispatch(ObjectServer::State& state, const HttpRequest& req, RequestContext& ctx) {
    const auto parts = http::split_target(sv(req.target()));
    const std::string_view raw_path = parts.path;
    if (raw_path == "/_fota" || starts_with(raw_path, "/_fota/")) {
        return control_request(state, req, ctx, raw_path);
    }
    if (raw_path.empty() || raw_path.front() != '/') {
        return s3_error(400, "InvalidURI", "Couldn't parse the specified URI.",
                        {{"URI", std::string(req.target())}}, state, ctx);
    }
    const auto query = http::parse_query(parts.query);
    const std::string_view rest = raw_path.substr(1);
    const auto slash = rest.find('/');
    const auto bucket = http::percent_decode(rest.substr(0, slash));
    const auto key = http::percent_decode(slash == std::string_view::npos ? std::string_view{}
                                                                          : rest.substr(slash + 1));
    if (!query || !bucket || !key) {
        return s3_error(400, "InvalidURI", "Couldn't parse the specified URI.",
                        {{"URI", std::string(req.target())}}, state, ctx);
    }
    ctx.bucket = *bucket;
    ctx.key = *key;
    if (auto denied = authenticate(state, req, ctx)) {
        if (!key->empty()) {
            ++state.counters_for(*bucket, *key).requests;
        }
        return *denied;
    }
    if (!bucket->empty()) {
        if (const auto f = state.take_fault(ObjectFault::Kind::error_status, *bucket, *key)) {
            if (!key->empty()) {
                ++state.counters_for(*bucket, *key).requests;
            }
            std::string code = f->code;
            std::string message = "The fota-sim object server was told to fail this request.";
            if (code.empty()) {
                code = f->status == 503   ? "SlowDown"
                       : f->status == 500 ? "InternalError"
                                          : "ServiceUnavailable";
            }
            if (code == "SlowDown") {
                message = "Please reduce your request rate.";
            } else if (code == "InternalError") {
                message = "We encountered an internal error. Please try again.";
            }
            return s3_error(static_cast<unsigned>(f->status), code, message, {}, state, ctx);
        }
    }
    if (bucket->empty()) {
        if (req.method() == bhttp::verb::get) {
            return list_buckets(state, ctx);
        }
        return s3_error(405, "MethodNotAllowed",
                        "The specified method is not allowed against this resource.",
                        {{"Method", std::string(req.method_string())}, {"ResourceType", "SERVICE"}},
                        state, ctx);
    }
    if (key->empty()) {
        return bucket_request(state, req, ctx, *bucket, *query);
    }
    ++state.counters_for(*bucket, *key).requests;
    switch (req.method()) {
    case bhttp::verb::get:
    case bhttp::verb::head:
        if (http::find_param(*query, "uploadId") && !ctx.head) {
            return list_parts(state, ctx, *bucket, *key, *query);
        }
        return get_object(state, req, ctx, *bucket, *key);
    case bhttp::verb::put:
        return put_object(state, req, ctx, *bucket, *key, *query);
    case bhttp::verb::post:
        return post_object(state, req, ctx, *bucket, *key, *query);
    case bhttp::verb::delete_: {
        if (http::find_param(*query, "uploadId")) {
            return abort_multipart_upload(state, ctx, *bucket, *key, *query);
        }
        const auto b = state.buckets.find(*bucket);
        if (b == state.buckets.end()) {
            return s3_error(404, "NoSuchBucket", "The specified bucket does not exist",
                            {{"BucketName", *bucket}}, state, ctx);
        }
        b->second.objects.erase(*key);
        return empty_response(204, state, ctx);
    }
    default:
        return s3_error(
            405, "MethodNotAllowed", "The specified method is not allowed against this resource.",
            {{"Method", std::string(req.method_string())}, {"ResourceType", "OBJECT"}}, state, ctx);
    }
}

} // namespace

StoredObject ObjectServer::State::make_object(std::string data, std::string content_type) const {
    StoredObject object;
    object.etag = "\"" + http::md5_hex(data) + "\"";
    object.data = std::make_shared<const std::string>(std::move(data));
    object.last_modified = config.clock();
    object.content_type = std::move(content_type);
    return object;
}

std::optional<ObjectFault>
ObjectServer::State::take_fault(ObjectFault::Kind kind, const std::string& bucket,
                                const std::string& key, std::optional<std::uint64_t> range_first) {
    for (auto it = faults.begin(); it != faults.end(); ++it) {
        if (it->kind != kind || (!it->bucket.empty() && it->bucket != bucket) ||
            (!it->key.empty() && it->key != key)) {
            continue;
        }
        if (it->from_byte != 0 && (!range_first || *range_first < it->from_byte)) {
            continue;
        }
        ObjectFault taken = *it;
        if (it->count > 0 && --it->count == 0) {
            faults.erase(it);
        }
        return taken;
    }
    return std::nullopt;
}

ResponsePlan handle_request(ObjectServer::State& state, const HttpRequest& request) {
    std::lock_guard lock(state.mutex);
    RequestContext ctx;
    char id[32];
    std::snprintf(id, sizeof id, "FOTA%012llu",
                  static_cast<unsigned long long>(state.next_request_id++));
    ctx.request_id = id;
    ctx.method = std::string(request.method_string());
    ctx.head = request.method() == bhttp::verb::head;
    ResponsePlan plan;
    try {
        plan = dispatch(state, request, ctx);
    } catch (const std::exception& e) {
        // A bug, not bad input (which every path answers itself): still answer, never crash.
        plan = s3_error(500, "InternalError", std::string("internal error: ") + e.what(), {}, state,
                        ctx);
    }
    if (plan.status >= 400 && !ctx.key.empty()) {
        ++state.counters_for(ctx.bucket, ctx.key).error_responses;
    }
    return plan;
}

std::optional<std::string> decode_aws_chunked(std::string_view body) {
    std::string out;
    while (true) {
        const auto line_end = body.find("\r\n");
        if (line_end == std::string_view::npos) {
            return std::nullopt;
        }
        std::string_view line = body.substr(0, line_end);
        line = line.substr(0, line.find(';'));
        if (line.empty() || line.size() > 15) {
            return std::nullopt;
        }
        std::uint64_t size = 0;
        for (char c : line) {
            const int v = (c >= '0' && c <= '9')   ? c - '0'
                          : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                          : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                                   : -1;
            if (v < 0) {
                return std::nullopt;
            }
            size = size * 16 + static_cast<std::uint64_t>(v);
        }
        body.remove_prefix(line_end + 2);
        if (size == 0) {
            // Trailers (e.g. x-amz-checksum-crc32) until an empty line; they are not checked.
            while (true) {
                const auto end = body.find("\r\n");
                if (end == std::string_view::npos) {
                    return body.empty() ? std::optional<std::string>(out) : std::nullopt;
                }
                if (end == 0) {
                    return out;
                }
                body.remove_prefix(end + 2);
            }
        }
        if (body.size() < size + 2 || body.substr(size, 2) != "\r\n") {
            return std::nullopt;
        }
        out.append(body.substr(0, size));
        body.remove_prefix(size + 2);
    }
}

} // namespace fota::cloud
