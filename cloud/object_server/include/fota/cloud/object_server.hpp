// An S3-style object server for firmware downloads: PUT/GET/HEAD/DELETE of objects in buckets
// (path style, /bucket/key), Range requests (206 + Content-Range, 416 past the end), presigned
// URLs (403 "Request has expired" once expired), SigV4 verification when credentials are
// configured, S3's XML errors, fault knobs and request counters.
//
// Asynchronous (Boost.Beast) on the caller's io_context; runs in any process. Every public method
// is thread-safe: objects, faults and counters live behind one mutex, so a test or a scenario
// runner may change them from its own thread while downloads are in flight. An object replaced
// during a response keeps serving the old bytes to that response (like S3); the next request
// sees the new ones.
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

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
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
};

/// One fault rule. A rule applies to the requests that match bucket/key (empty = any), for
/// `count` responses (-1: until cleared); the first matching rule of each kind wins.
struct ObjectFault {
    enum class Kind {
        close_after_bytes,   ///< GET: send headers and `bytes` body bytes, then close the socket
        throttle,            ///< GET: send the body at `bytes_per_second`
        error_status,        ///< any S3 request: answer `status` with S3 error `code` instead
        ignore_range,        ///< GET: ignore Range, answer 200 with the whole object
        wrong_content_range, ///< GET with Range: send `content_range` verbatim, or the true
                             ///< range shifted by `shift` bytes (the body is the true range)
        stall,               ///< GET: after `bytes` body bytes, send nothing for `duration`
        connection_close,    ///< GET: answer with Connection: close, then close the connection
        redirect,            ///< GET/HEAD: answer `status` (3xx, default 302) to `location`
        long_header,         ///< GET: add a header X-Fota-Padding of `bytes` characters
        lowercase_headers,   ///< GET: send every header name in lower case
        refuse_connections,  ///< the next `count` connections are reset as soon as they are
                             ///< accepted, before a byte is read (bucket and key do not apply)
    };
    Kind kind = Kind::error_status;
    std::string bucket;
    std::string key;
    int count = -1;
    std::uint64_t bytes = 0;
    std::uint64_t bytes_per_second = 0;
    int status = 503;
    std::string code; ///< empty: SlowDown for 503, InternalError for 500, else ServiceUnavailable
    std::chrono::milliseconds duration{0};
    std::string content_range;
    std::int64_t shift = 0;
    /// wrong_content_range without content_range or shift: which part of the true range is
    /// wrong: "start" (first byte + 1), "end" (last byte - 1, or + 1 for one byte), "total"
    /// (object size + 1) or "star_total" (a "*" total, valid HTTP that NCS could not parse).
    std::string mismatch;
    std::string location; ///< redirect target (absolute URL or path)
};

/// Kind <-> its JSON name ("close_after_bytes", ...).
const char* to_string(ObjectFault::Kind kind);

/// Parses one fault from JSON text (the control API's body). Returns the fault, or a message
/// saying which field is wrong and what would be valid. Never throws.
std::variant<ObjectFault, std::string> parse_object_fault(std::string_view json_text);

/// The JSON form of a fault (what GET /_fota/faults lists).
std::string object_fault_json(const ObjectFault& fault);

/// What happened to one object (or, summed, to all).
struct ObjectCounters {
    std::uint64_t requests = 0;           ///< every S3 request naming the object
    std::uint64_t get_requests = 0;       ///< GetObject
    std::uint64_t head_requests = 0;      ///< HeadObject
    std::uint64_t put_requests = 0;       ///< PutObject (and control-API replacements)
    std::uint64_t range_requests = 0;     ///< GetObject with a Range header
    std::uint64_t bytes_served = 0;       ///< body bytes written to sockets
    std::uint64_t complete_responses = 0; ///< GET responses whose whole body was sent
    std::uint64_t aborted_responses = 0;  ///< GET responses cut short (fault or client gone)
    std::uint64_t error_responses = 0;    ///< answers with status >= 400
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
    /// "http://<address>:<port>".
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

    struct State; ///< shared with the connections (implementation detail)

private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

/// The credentials presign_get uses when the server has none configured.
http::Credentials placeholder_credentials();

} // namespace fota::cloud
