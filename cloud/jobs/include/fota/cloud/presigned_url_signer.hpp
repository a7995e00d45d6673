#pragma once
// Replacement of `${aws:iot:s3-presigned-url:<url>}` placeholders in job documents (spec §4.6).

#include <cstdint>
#include <optional>
#include <string>

namespace fota::cloud {

/// Turns an S3 object URL into a presigned GET URL. The object server implements it; unit tests
/// use a fake. Called on the broker thread each time a job document is delivered over MQTT.
class PresignedUrlSigner {
public:
    virtual ~PresignedUrlSigner() = default;

    /// `object_url` is the text inside the placeholder, e.g.
    /// "https://s3.us-east-1.amazonaws.com/bucket/key" or a local "http://127.0.0.1:9000/b/k".
    /// `expires_in_seconds` is presignedUrlConfig.expiresInSec (60..3600, default 3600);
    /// `now` is epoch seconds. The URL should be stable for a job within its validity window
    /// (spec §4.6, §10 Q13): sign with a time rounded down to the window, not with `now`.
    /// Returns nullopt if the URL cannot be signed; the placeholder is then left unreplaced.
    virtual std::optional<std::string>
    presign(const std::string& object_url, std::int64_t expires_in_seconds, std::int64_t now) = 0;
};

} // namespace fota::cloud
