// S3 operations that live outside s3_handler.cpp's dispatch: paginated listings (ListObjects V1
// and V2), multipart uploads (Create, UploadPart, Complete, Abort, ListParts), and the helpers
// they share with it: request bodies (aws-chunked, Content-MD5) and XML request documents.
// Callers hold state.mutex.
#pragma once

#include "object_store.hpp"
#include "response_plan.hpp"

#include "fota/cloud/http/uri.hpp"

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/property_tree/ptree.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace fota::cloud {

using S3Request = boost::beast::http::request<boost::beast::http::string_body>;
using QueryParams = std::vector<http::QueryParam>;

/// The request's payload: the body, aws-chunked decoded when the request says so, checked
/// against Content-MD5 when it has one. Otherwise the S3 error (IncompleteBody, InvalidDigest,
/// BadDigest).
std::variant<std::string, ResponsePlan>
request_payload(const ObjectServer::State& state, const S3Request& req, const RequestContext& ctx);

/// An XML request document (CompleteMultipartUpload, CreateBucketConfiguration), its root
/// element at the top of the tree; nullopt when it is not well-formed XML or nests deeper than
/// S3's documents do. Attributes (xmlns) are dropped. Never throws.
std::optional<boost::property_tree::ptree> parse_request_xml(std::string_view body);

/// S3's MalformedXML answer (400).
ResponsePlan malformed_xml(const ObjectServer::State& state, const RequestContext& ctx);

/// GET Bucket: ListObjectsV2 (list-type=2: max-keys, continuation-token, start-after) or V1
/// (marker), with prefix, delimiter and encoding-type=url.
ResponsePlan list_objects(const ObjectServer::State& state, const RequestContext& ctx,
                          const std::string& bucket, const QueryParams& query);

/// POST /bucket/key?uploads.
ResponsePlan create_multipart_upload(ObjectServer::State& state, const S3Request& req,
                                     const RequestContext& ctx, const std::string& bucket,
                                     const std::string& key);
/// PUT /bucket/key?partNumber=N&uploadId=ID.
ResponsePlan upload_part(ObjectServer::State& state, const S3Request& req,
                         const RequestContext& ctx, const std::string& bucket,
                         const std::string& key, const QueryParams& query);
/// POST /bucket/key?uploadId=ID with a CompleteMultipartUpload document.
ResponsePlan complete_multipart_upload(ObjectServer::State& state, const S3Request& req,
                                       const RequestContext& ctx, const std::string& bucket,
                                       const std::string& key, const QueryParams& query);
/// DELETE /bucket/key?uploadId=ID.
ResponsePlan abort_multipart_upload(ObjectServer::State& state, const RequestContext& ctx,
                                    const std::string& bucket, const std::string& key,
                                    const QueryParams& query);
/// GET /bucket/key?uploadId=ID (every part in one page).
ResponsePlan list_parts(const ObjectServer::State& state, const RequestContext& ctx,
                        const std::string& bucket, const std::string& key,
                        const QueryParams& query);

/// DeleteBucket's part: drops the bucket's unfinished uploads.
void drop_bucket_uploads(ObjectServer::State& state, const std::string& bucket);

} // namespace fota::cloud
