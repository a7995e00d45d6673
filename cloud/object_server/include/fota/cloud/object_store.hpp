// The object server's request handling without I/O: buckets and objects, S3 requests (Range,
// presigned URLs and their expiry, SigV4, multipart uploads, paginated listings), the control API,
// fault rules and counters. A request goes in, a ResponsePlan (response_plan.hpp) comes out;
// whoever holds the connection sends it: the Asio server (object_server.hpp) over TCP, or the
// deterministic simulation on its virtual clock. Time comes only from the config's clock.
//
// Thread-safe: the state lives behind one mutex, so a test or a scenario runner may change objects
// and faults from its own thread while responses are in flight.
#pragma once

#include "fota/cloud/http/aws_time.hpp"
#include "fota/cloud/http/sigv4.hpp"
#include "fota/cloud/response_plan.hpp"

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace fota::cloud {

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
    /// ignore_range and wrong_content_range: only ranged GETs whose range starts at or after
    /// this byte match (0: every ranged GET), so a fault can wait for the middle of a download.
    std::uint64_t from_byte = 0;
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
    std::uint64_t bytes_served = 0;       ///< body bytes sent to connections
    std::uint64_t complete_responses = 0; ///< GET responses whose whole body was sent
    std::uint64_t aborted_responses = 0;  ///< GET responses cut short (fault or client gone)
    std::uint64_t error_responses = 0;    ///< answers with status >= 400
};

/// The credentials presigned URLs are signed with when the store has none configured.
http::Credentials placeholder_credentials();

/// One parsed HTTP request (Beast's type: header-only, built without a socket).
using ObjectRequest = boost::beast::http::request<boost::beast::http::string_body>;

struct ObjectStoreConfig {
    /// When set, every S3 request must carry a valid SigV4 signature (header or presigned URL)
    /// made with these credentials. When unset, signatures are not checked, but presigned URLs
    /// still expire.
    std::optional<http::Credentials> credentials;
    std::string region = "us-east-1";
    /// "Now" for signature dates, expiry and timestamps.
    http::WallClock clock = http::system_wall_clock();
    std::uint64_t max_object_size = 256ULL * 1024 * 1024;
    /// Multipart uploads: the smallest part but the last that CompleteMultipartUpload accepts
    /// (S3: 5 MiB; EntityTooSmall below it).
    std::uint64_t min_part_size = 5ULL * 1024 * 1024;
    /// Where presigned URLs point: "http://host:port" (any name: it need not be a bound port).
    std::string endpoint = "http://127.0.0.1:0";
};

class ObjectStore {
public:
    /// Throws std::invalid_argument when config.endpoint is not "http(s)://host[:port]".
    explicit ObjectStore(ObjectStoreConfig config);
    ~ObjectStore();
    ObjectStore(const ObjectStore&) = delete;
    ObjectStore& operator=(const ObjectStore&) = delete;

    [[nodiscard]] const ObjectStoreConfig& config() const;
    /// Points presigned URLs elsewhere (the Asio server: once its port is bound). Throws
    /// std::invalid_argument as the constructor does.
    void set_endpoint(std::string endpoint);
    [[nodiscard]] std::string endpoint() const;

    // ---- requests ----
    /// The answer to one request (S3 operation or control API), with every state change it makes
    /// (objects, counters, fault uses). Never throws for bad input. The plan closes the
    /// connection when the request did not ask to keep it alive.
    ResponsePlan handle(const ObjectRequest& request);
    /// A new connection arrives: true when a refuse_connections fault says to reset it before a
    /// byte is read (consumes one use of the fault).
    bool refuse_connection();
    /// `bytes` more of `plan`'s body reached the connection (bytes_served).
    void record_body_bytes(const ResponsePlan& plan, std::uint64_t bytes);
    /// `plan`'s response ended, its whole body sent or not (complete/aborted_responses); counts
    /// once per plan.
    void record_response_end(ResponsePlan& plan, bool complete);

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
    /// A presigned GET URL for bucket/key on the endpoint, valid `expires` from the clock's now
    /// (signed with the configured credentials, or placeholder ones when none are configured).
    [[nodiscard]] std::string presign_get(const std::string& bucket, const std::string& key,
                                          std::chrono::seconds expires) const;

    struct State; ///< the handler's view (implementation detail)

private:
    std::unique_ptr<State> state_;
};

} // namespace fota::cloud
