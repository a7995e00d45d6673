// Multipart uploads as S3 does them (see s3_operations.hpp): parts held per upload id until
// CompleteMultipartUpload joins the listed ones into an object whose ETag is the MD5 of the
// parts' binary MD5s, then "-<part count>".
#include "s3_operations.hpp"

#include "fota/cloud/http/aws_time.hpp"
#include "fota/cloud/http/crypto.hpp"
#include "fota/cloud/http/xml.hpp"

#include <charconv>

namespace fota::cloud {

namespace {

constexpr const char* xml_namespace = "http://s3.amazonaws.com/doc/2006-03-01/";
constexpr int max_part_number = 10000;

std::string hex_to_bytes(std::string_view hex) {
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        unsigned value = 0;
        std::from_chars(hex.data() + i, hex.data() + i + 2, value, 16);
        out.push_back(static_cast<char>(value));
    }
    return out;
}

/// A part number 1..10000 from its decimal text.
std::optional<int> parse_part_number(std::string_view text) {
    int n = 0;
    const auto* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, n);
    if (text.empty() || ec != std::errc{} || ptr != end || n < 1 || n > max_part_number) {
        return std::nullopt;
    }
    return n;
}

/// An ETag without its quotes (clients send them either way).
std::string_view unquoted(std::string_view etag) {
    if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
        return etag.substr(1, etag.size() - 2);
    }
    return etag;
}

ResponsePlan no_such_upload(const ObjectServer::State& state, const RequestContext& ctx,
                            const std::string& upload_id) {
    return s3_error(404, "NoSuchUpload",
                    "The specified upload does not exist. The upload ID may be invalid, or the "
                    "upload may have been aborted or completed.",
                    {{"UploadId", upload_id}}, state, ctx);
}

/// The upload named by the query's uploadId for bucket/key; nullptr when there is none.
template <typename State>
auto find_upload(State& state, const QueryParams& query, const std::string& bucket,
                 const std::string& key) -> decltype(&state.uploads.begin()->second) {
    const auto id = http::find_param(query, "uploadId");
    if (!id) {
        return nullptr;
    }
    const auto it = state.uploads.find(*id);
    if (it == state.uploads.end() || it->second.bucket != bucket || it->second.key != key) {
        return nullptr;
    }
    return &it->second;
}

struct ListedPart {
    int number = 0;
    std::string etag;
};

/// The parts a CompleteMultipartUpload document lists, in its order; nullopt when it is not
/// that document (MalformedXML).
std::optional<std::vector<ListedPart>> listed_parts(std::string_view body) {
    const auto doc = parse_request_xml(body);
    if (!doc || doc->begin()->first != "CompleteMultipartUpload") {
        return std::nullopt;
    }
    std::vector<ListedPart> parts;
    for (const auto& [name, element] : doc->begin()->second) {
        if (name == "<xmlattr>") {
            continue;
        }
        if (name != "Part") {
            return std::nullopt;
        }
        const auto number = element.get_optional<std::string>("PartNumber");
        const auto etag = element.get_optional<std::string>("ETag");
        const auto parsed = number ? parse_part_number(*number) : std::nullopt;
        if (!parsed || !etag) {
            return std::nullopt;
        }
        parts.push_back({*parsed, *etag});
    }
    if (parts.empty()) {
        return std::nullopt;
    }
    return parts;
}

} // namespace

ResponsePlan create_multipart_upload(ObjectServer::State& state, const S3Request& req,
                                     const RequestContext& ctx, const std::string& bucket,
                                     const std::string& key) {
    if (state.buckets.find(bucket) == state.buckets.end()) {
        return s3_error(404, "NoSuchBucket", "The specified bucket does not exist",
                        {{"BucketName", bucket}}, state, ctx);
    }
    const std::string id =
        http::md5_hex(bucket + "\n" + key + "\n" + std::to_string(state.next_upload_id++)) +
        "-fota";
    MultipartUpload upload{bucket, key, "binary/octet-stream", state.config.clock(), {}};
    if (const auto ct = req.find(boost::beast::http::field::content_type); ct != req.end()) {
        upload.content_type = std::string(ct->value());
    }
    state.uploads[id] = std::move(upload);
    std::string xml =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<InitiateMultipartUploadResult xmlns=\"";
    xml += xml_namespace;
    xml += "\"><Bucket>" + http::xml_escape(bucket) + "</Bucket><Key>" + http::xml_escape(key) +
           "</Key><UploadId>" + id + "</UploadId></InitiateMultipartUploadResult>";
    return body_response(200, "application/xml", std::move(xml), state, ctx);
}

ResponsePlan upload_part(ObjectServer::State& state, const S3Request& req,
                         const RequestContext& ctx, const std::string& bucket,
                         const std::string& key, const QueryParams& query) {
    const auto number_text = http::find_param(query, "partNumber").value_or("");
    const auto number = parse_part_number(number_text);
    if (!number) {
        return s3_error(
            400, "InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive",
            {{"ArgumentName", "partNumber"}, {"ArgumentValue", number_text}}, state, ctx);
    }
    MultipartUpload* upload = find_upload(state, query, bucket, key);
    if (upload == nullptr) {
        return no_such_upload(state, ctx, http::find_param(query, "uploadId").value_or(""));
    }
    auto payload = request_payload(state, req, ctx);
    if (auto* error = std::get_if<ResponsePlan>(&payload)) {
        return *error;
    }
    UploadedPart part;
    part.data = std::move(std::get<std::string>(payload));
    part.etag = "\"" + http::md5_hex(part.data) + "\"";
    part.last_modified = state.config.clock();
    ResponsePlan plan = empty_response(200, state, ctx);
    plan.headers.emplace_back("ETag", part.etag);
    upload->parts[*number] = std::move(part);
    return plan;
}

ResponsePlan complete_multipart_upload(ObjectServer::State& state, const S3Request& req,
                                       const RequestContext& ctx, const std::string& bucket,
                                       const std::string& key, const QueryParams& query) {
    ++state.counters_for(bucket, key).put_requests;
    const auto id = http::find_param(query, "uploadId").value_or("");
    MultipartUpload* upload = find_upload(state, query, bucket, key);
    if (upload == nullptr) {
        return no_such_upload(state, ctx, id);
    }
    const auto bucket_it = state.buckets.find(bucket);
    if (bucket_it == state.buckets.end()) {
        return s3_error(404, "NoSuchBucket", "The specified bucket does not exist",
                        {{"BucketName", bucket}}, state, ctx);
    }
    const auto parts = listed_parts(req.body());
    if (!parts) {
        return malformed_xml(state, ctx);
    }
    std::string md5s;
    std::uint64_t total = 0;
    for (std::size_t i = 1; i < parts->size(); ++i) {
        if ((*parts)[i].number <= (*parts)[i - 1].number) {
            return s3_error(400, "InvalidPartOrder",
                            "The list of parts was not in ascending order. Parts must be ordered "
                            "by part number.",
                            {{"UploadId", id}}, state, ctx);
        }
    }
    for (std::size_t i = 0; i < parts->size(); ++i) {
        const ListedPart& listed = (*parts)[i];
        const auto stored = upload->parts.find(listed.number);
        if (stored == upload->parts.end() ||
            unquoted(stored->second.etag) != unquoted(listed.etag)) {
            return s3_error(400, "InvalidPart",
                            "One or more of the specified parts could not be found. The part may "
                            "not have been uploaded, or the specified entity tag may not match "
                            "the part's entity tag.",
                            {{"UploadId", id},
                             {"PartNumber", std::to_string(listed.number)},
                             {"ETag", listed.etag}},
                            state, ctx);
        }
        const std::uint64_t size = stored->second.data.size();
        if (i + 1 < parts->size() && size < state.config.min_part_size) {
            return s3_error(400, "EntityTooSmall",
                            "Your proposed upload is smaller than the minimum allowed size",
                            {{"ProposedSize", std::to_string(size)},
                             {"MinSizeAllowed", std::to_string(state.config.min_part_size)},
                             {"PartNumber", std::to_string(listed.number)},
                             {"ETag", listed.etag}},
                            state, ctx);
        }
        total += size;
        md5s += hex_to_bytes(unquoted(stored->second.etag));
    }
    if (total > state.config.max_object_size) {
        return s3_error(400, "EntityTooLarge",
                        "Your proposed upload exceeds the maximum allowed size",
                        {{"ProposedSize", std::to_string(total)},
                         {"MaxSizeAllowed", std::to_string(state.config.max_object_size)}},
                        state, ctx);
    }
    std::string data;
    data.reserve(total);
    for (const ListedPart& listed : *parts) {
        data += upload->parts[listed.number].data;
    }
    StoredObject object = state.make_object(std::move(data), upload->content_type);
    object.etag = "\"" + http::md5_hex(md5s) + "-" + std::to_string(parts->size()) + "\"";
    const std::string etag = object.etag;
    bucket_it->second.objects[key] = std::move(object);
    state.uploads.erase(id);

    std::string xml =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CompleteMultipartUploadResult xmlns=\"";
    xml += xml_namespace;
    xml += "\"><Location>" +
           http::xml_escape(state.config.endpoint + "/" + http::aws_uri_encode(bucket, true) + "/" +
                            http::aws_uri_encode(key, false)) +
           "</Location><Bucket>" + http::xml_escape(bucket) + "</Bucket><Key>" +
           http::xml_escape(key) + "</Key><ETag>" + http::xml_escape(etag) +
           "</ETag></CompleteMultipartUploadResult>";
    return body_response(200, "application/xml", std::move(xml), state, ctx);
}

ResponsePlan abort_multipart_upload(ObjectServer::State& state, const RequestContext& ctx,
                                    const std::string& bucket, const std::string& key,
                                    const QueryParams& query) {
    const auto id = http::find_param(query, "uploadId").value_or("");
    if (find_upload(state, query, bucket, key) == nullptr) {
        return no_such_upload(state, ctx, id);
    }
    state.uploads.erase(id);
    return empty_response(204, state, ctx);
}

ResponsePlan list_parts(const ObjectServer::State& state, const RequestContext& ctx,
                        const std::string& bucket, const std::string& key,
                        const QueryParams& query) {
    const MultipartUpload* upload = find_upload(state, query, bucket, key);
    const auto id = http::find_param(query, "uploadId").value_or("");
    if (upload == nullptr) {
        return no_such_upload(state, ctx, id);
    }
    std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListPartsResult xmlns=\"";
    xml += xml_namespace;
    xml += "\"><Bucket>" + http::xml_escape(bucket) + "</Bucket><Key>" + http::xml_escape(key) +
           "</Key><UploadId>" + http::xml_escape(id) +
           "</UploadId><StorageClass>STANDARD</StorageClass><PartNumberMarker>0</"
           "PartNumberMarker><NextPartNumberMarker>" +
           std::to_string(upload->parts.empty() ? 0 : upload->parts.rbegin()->first) +
           "</NextPartNumberMarker><MaxParts>" + std::to_string(max_part_number) +
           "</MaxParts><IsTruncated>false</IsTruncated>";
    for (const auto& [number, part] : upload->parts) {
        xml += "<Part><PartNumber>" + std::to_string(number) + "</PartNumber><LastModified>" +
               http::format_iso8601(part.last_modified) + "</LastModified><ETag>" +
               http::xml_escape(part.etag) + "</ETag><Size>" + std::to_string(part.data.size()) +
               "</Size></Part>";
    }
    xml += "</ListPartsResult>";
    return body_response(200, "application/xml", std::move(xml), state, ctx);
}

void drop_bucket_uploads(ObjectServer::State& state, const std::string& bucket) {
    std::erase_if(state.uploads, [&](const auto& entry) { return entry.second.bucket == bucket; });
}

} // namespace fota::cloud
