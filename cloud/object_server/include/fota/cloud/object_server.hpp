// An S3-style object server for firmware downloads: PUT/GET/HEAD/DELETE of objects in buckets
// (path style, /bucket/key), CreateBucket/DeleteBucket (BucketNotEmpty), multipart uploads
// (Create, UploadPart, Complete with the "md5-of-md5s-N" ETag, Abort, ListParts; parts but the
// last of at least min_part_size), ListObjects V1/V2 with pagination (max-keys, continuation
// tokens, start-after, marker, delimiter, encoding-type=url), Range requests (206 +
// Content-Range, 416 past the end), presigned URLs (403 "Request has expired" once expired),
// SigV4 verification when credentials are configured, S3's XML errors, fault knobs and request
// counters. Not implemented (501 NotImplemented): CopyObject, ListMultipartUploads.
//
// Asynchronous (Boost.Beast) on the caller's io_context; runs in any process. The server does the
// I/O only: what each request gets is an ObjectStore's (object_store.hpp), which the server owns.
// Every public method is thread-safe, so a test or a scenario runner may change objects, faults
// and counters from its own thread while downloads are in flight. An object replaced during a
// response keeps serving the old bytes to that response (like S3); the next request sees the new
// ones.
//
// Control API on the same port (no authentication; bucket names cannot start with '_'):
//   GET    /_fota/health                      -> {"ok":true}
//   GET    /_fota/faults                      -> {"faults":[Fault...]}
//   POST   /_fota/faults    body Fault or {"faults":[Fault...]} -> {"faults":[all faults]}
//   DELETE /_fota/faults                      -> clears every fault
//   GET    /_fota/counters                    -> {"total":Counters,"objects":{"b/k":Counters}}
//   DELETE /_fota/counters                    -> resets them
//   PUT    /_fota/objects/<bucket>/<key>      body = the object's new bytes (creates the bucket)
//   POST   /_fota/presign  {"bucket","key","expires"} -> {"url":"http://.../b/k?X-Amz-..."}
// Fault JSON: {"kind": "close_after_bytes"|"throttle"|"error_status"|"ignore_range"|
//   "wrong_content_range"|"stall"|
//   "connection_close"|"redirect"|"long_header"|"lowercase_headers"|"refuse_connections",
//   "bucket"?, "key"?,
//   "count"? (default: until cleared), "bytes"?, "bytes_per_second"?, "status"?, "code"?,
//   "seconds"?, "content_range"?, "shift"?, "mismatch"?, "location"?}; "refuse_connections"
//   resets the next `count` connections at accept.
// (see ObjectFault for what each field means). Errors: 400 {"message": "..."}.
#pragma once

#include "fota/cloud/http/aws_time.hpp"
#include "fota/cloud/http/sigv4.hpp"
#include "fota/cloud/http/tls_server.hpp"
#include "fota/cloud/object_store.hpp"

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace fota::cloud {

struct ObjectServerConfig {
    std::string address = "127.0.0.1";
    std::uint16_t port = 0; ///< 0: a free port chosen by the OS (read it back with port())
    /// When set, every S3 request must carry a valid SigV4 signature (header or presigned URL)
    /// made with these credentials. When unset, signatures are not checked, but presigned URLs
    /// still expire.
    std::optional<http::Credentials> credentials;
    std::string region = "us-east-1";
    /// "Now" for signature dates and expiry; inject a fake to test expiry without waiting.
    http::WallClock clock = http::system_wall_clock();
    std::uint64_t max_object_size = 256ULL * 1024 * 1024;
    /// Connections idle this long are closed.
    std::chrono::seconds idle_timeout{120};
    /// Set: HTTPS only (http::make_server_tls_context); null: plain HTTP.
    http::TlsContext tls;

    /// The store's part (its endpoint is "http://<address>:0" until the server is bound).
    [[nodiscard]] ObjectStoreConfig store_config() const;
};

class ObjectServer {
public:
    ObjectServer(boost::asio::io_context& io, ObjectServerConfig config);
    ~ObjectServer();
    ObjectServer(const ObjectServer&) = delete;
    ObjectServer& operator=(const ObjectServer&) = delete;

    /// Binds and starts accepting. Throws std::system_error when the address cannot be bound.
    void start();
    /// Stops accepting and closes every connection (asynchronously, on the io_context).
    void stop();

    /// The bound port (after start()).
    [[nodiscard]] std::uint16_t port() const;
    /// "http://<address>:<port>" ("https://" with tls).
    [[nodiscard]] std::string endpoint() const;

    // ---- objects ----
    void create_bucket(const std::string& bucket);
    /// Stores (or replaces) an object; creates the bucket if needed.
    void put_object(const std::string& bucket, const std::string& key, std::string data,
                    std::string content_type = "application/octet-stream");
    [[nodiscard]] std::optional<std::string> get_object(const std::string& bucket,
                                                        const std::string& key) const;
    bool delete_object(const std::string& bucket, const std::string& key);

    // ---- faults ----
    void add_fault(ObjectFault fault);
    void clear_faults();
    [[nodiscard]] std::vector<ObjectFault> faults() const;

    // ---- counters ----
    [[nodiscard]] ObjectCounters counters(const std::string& bucket, const std::string& key) const;
    [[nodiscard]] ObjectCounters total_counters() const;
    /// Per object, keyed "bucket/key".
    [[nodiscard]] std::map<std::string, ObjectCounters> all_counters() const;
    void reset_counters();

    // ---- presigning ----
    /// A presigned GET URL for bucket/key on this server, valid `expires` from the clock's now
    /// (signed with the configured credentials, or placeholder ones when none are configured).
    [[nodiscard]] std::string presign_get(const std::string& bucket, const std::string& key,
                                          std::chrono::seconds expires) const;

    /// The request handling behind the server (the same objects, faults and counters).
    [[nodiscard]] ObjectStore& store();

    using State = ObjectStore::State; ///< the handler's view (implementation detail)

private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace fota::cloud
