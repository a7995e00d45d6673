// Replaces `${aws:iot:s3-presigned-url:<url>}` placeholders with presigned GET URLs for the local
// object server (or any S3 endpoint): the JobsService's PresignedUrlSigner.
#pragma once

#include "fota/cloud/http/sigv4.hpp"
#include "fota/cloud/presigned_url_signer.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace fota::cloud {

struct S3PresignerConfig {
    /// Where the URLs point: "http://127.0.0.1:9000". Empty: the placeholder URL's own scheme and
    /// host (real S3).
    std::string endpoint;
    /// Must match the object server's credentials when it verifies signatures.
    http::Credentials credentials;
    std::string region = "us-east-1";
};

/// Signs path-style URLs. The placeholder URL may be path style
/// (https://s3.us-east-1.amazonaws.com/bucket/key), virtual-hosted
/// (https://bucket.s3.us-east-1.amazonaws.com/key) or already local (http://host:port/bucket/key).
///
/// Stable URLs (spec §4.6, §10 Q13): the signing time is `now` rounded down to half of
/// expires_in_seconds, so repeated deliveries within that half-window get the same URL, and every
/// URL handed out is still valid for at least half of expires_in_seconds.
class S3Presigner : public PresignedUrlSigner {
public:
    explicit S3Presigner(S3PresignerConfig config);

    std::optional<std::string> presign(const std::string& object_url,
                                       std::int64_t expires_in_seconds, std::int64_t now) override;

private:
    S3PresignerConfig config_;
};

} // namespace fota::cloud
