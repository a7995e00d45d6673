// AWS Signature Version 4: signing (header and presigned-URL forms) and verification, as the
// AWS CLI / botocore and S3 do it. S3 ("s3" in the credential scope) signs the path as sent and
// takes the payload hash from x-amz-content-sha256; every other service double-encodes the path
// and hashes the body.
#pragma once

#include "fota/cloud/http/aws_time.hpp"

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fota::cloud::http {

inline constexpr std::string_view sigv4_algorithm = "AWS4-HMAC-SHA256";
inline constexpr std::string_view unsigned_payload = "UNSIGNED-PAYLOAD";

/// An access key pair; session_token is optional (empty = none).
struct Credentials {
    std::string access_key_id;
    std::string secret_access_key;
    std::string session_token;
};

/// The "<date>/<region>/<service>/aws4_request" part of a credential.
struct CredentialScope {
    std::string date; ///< YYYYMMDD
    std::string region;
    std::string service;
    std::string to_string() const; ///< "date/region/service/aws4_request"
};

struct HttpHeader {
    std::string name;
    std::string value;
};

/// A request as sent or received: method, raw request-target ("/path?query", still encoded),
/// headers in any case, and the body.
struct SigV4Request {
    std::string method;
    std::string target;
    std::vector<HttpHeader> headers;
    std::string body;
    /// The connection's TLS client certificate (PEM), verified against the server's client CA;
    /// empty when there is none. Set by RestServer, never from the request's bytes.
    std::string client_certificate_pem{};

    /// The first header named name (case-insensitive), or nullopt.
    std::optional<std::string> header(std::string_view name) const;
};

// ---- building blocks (public so tests can check each step against published vectors) ----

/// CanonicalURI: the raw path unchanged for S3; otherwise URI-encoded once more ('/' kept), as
/// botocore does for every other service. An empty path becomes "/".
std::string canonical_uri(std::string_view raw_path, bool s3);

/// CanonicalQueryString: parameters decoded, re-encoded with AWS's rules, sorted by name then
/// value, joined with '&'. X-Amz-Signature is left out when drop_signature is true (presigned
/// URLs). Returns nullopt when the query has a malformed %-escape.
std::optional<std::string> canonical_query(std::string_view raw_query, bool drop_signature);

/// CanonicalHeaders for the given lower-case names (in the order given, which must be sorted):
/// "name:value\n" per header, values trimmed and inner runs of spaces collapsed, repeated headers
/// joined with ','. A signed header that is absent contributes "name:\n".
std::string canonical_headers(const std::vector<HttpHeader>& headers,
                              const std::vector<std::string>& signed_names);

/// The six-line canonical request.
std::string canonical_request(std::string_view method, std::string_view canonical_uri,
                              std::string_view canonical_query, std::string_view canonical_headers,
                              std::string_view signed_headers, std::string_view payload_hash);

/// "AWS4-HMAC-SHA256\n<amz_date>\n<scope>\n<hex sha256 of canonical request>".
std::string string_to_sign(std::string_view amz_date, const CredentialScope& scope,
                           std::string_view canonical_request);

/// The derived signing key kSigning (raw bytes).
std::string signing_key(std::string_view secret_access_key, const CredentialScope& scope);

/// Hex HMAC-SHA256 of string_to_sign under the derived key.
std::string sigv4_signature(std::string_view secret_access_key, const CredentialScope& scope,
                            std::string_view string_to_sign);

// ---- client side ----

/// Signs req in place with header authentication: adds host (if absent; pass it in headers),
/// x-amz-date, x-amz-content-sha256 (S3 only), x-amz-security-token (when the credentials have
/// one) and Authorization, signing every header present. Never throws for valid inputs.
void sign_request(SigV4Request& req, const Credentials& credentials, std::string_view region,
                  std::string_view service, TimePoint now);

/// What a presigned URL is made of.
struct PresignRequest {
    std::string method = "GET";
    std::string scheme = "http";
    std::string host; ///< "host" or "host:port", exactly as the client will send it in Host
    std::string path; ///< raw (encoded) path, e.g. "/bucket/key"
    std::string region = "us-east-1";
    std::string service = "s3";
    std::chrono::seconds expires{3600}; ///< 1..604800
    TimePoint now;
};

/// A presigned URL (query authentication, SignedHeaders=host, UNSIGNED-PAYLOAD for S3).
std::string presign_url(const PresignRequest& request, const Credentials& credentials);

// ---- server side ----

enum class SigV4Status {
    ok,
    anonymous,             ///< neither an Authorization header nor X-Amz-* query parameters
    malformed,             ///< unparsable Authorization header or query parameters
    unsupported_algorithm, ///< not AWS4-HMAC-SHA256
    unknown_access_key,    ///< lookup returned nothing
    signature_mismatch,
    expired,               ///< presigned URL past X-Amz-Date + X-Amz-Expires
    not_yet_valid,         ///< presigned URL dated too far in the future
    clock_skew,            ///< header auth: X-Amz-Date more than max_skew from now
    payload_hash_mismatch, ///< x-amz-content-sha256 is a hash that the body does not have
};

/// The outcome of verify_sigv4, with what was parsed (for error bodies and diagnostics).
struct SigV4Verdict {
    SigV4Status status = SigV4Status::anonymous;
    std::string message; ///< human-readable reason when status != ok
    bool presigned = false;
    std::string access_key_id;
    CredentialScope scope;
    TimePoint signed_at{};
    long long expires_seconds = 0; ///< presigned only
    std::string canonical_request; ///< the server's, when a signature was computed
    std::string string_to_sign;
};

/// Looks up the secret key for an access key id; nullopt = unknown key.
using SecretLookup = std::function<std::optional<std::string>(std::string_view access_key_id)>;

struct VerifyOptions {
    /// false: parse and check presigned expiry and the payload hash only (no credentials
    /// configured, any signature accepted).
    bool check_signature = true;
    std::chrono::seconds max_skew{900};
};

/// Verifies req's SigV4 authentication (Authorization header, or X-Amz-* query parameters).
/// Never throws on bad input: every problem is a status with a message.
SigV4Verdict verify_sigv4(const SigV4Request& req, const SecretLookup& lookup, TimePoint now,
                          const VerifyOptions& options = {});

} // namespace fota::cloud::http
