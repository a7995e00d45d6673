#include "fota/cloud/s3_presigner.hpp"

#include "fota/cloud/http/uri.hpp"

namespace fota::cloud {

namespace {

struct UrlParts {
    std::string scheme;
    std::string host; ///< host[:port]
    std::string path; ///< raw, starts with '/'
};

std::optional<UrlParts> split_url(const std::string& url) {
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string::npos || scheme_end == 0) {
        return std::nullopt;
    }
    UrlParts parts;
    parts.scheme = url.substr(0, scheme_end);
    const auto host_start = scheme_end + 3;
    const auto path_start = url.find('/', host_start);
    if (path_start == std::string::npos || path_start == host_start) {
        return std::nullopt;
    }
    parts.host = url.substr(host_start, path_start - host_start);
    parts.path = url.substr(path_start);
    if (const auto q = parts.path.find_first_of("?#"); q != std::string::npos) {
        parts.path.resize(q);
    }
    return parts;
}

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

} // namespace

S3Presigner::S3Presigner(S3PresignerConfig config) : config_(std::move(config)) {}

std::optional<std::string> S3Presigner::presign(const std::string& object_url,
                                                std::int64_t expires_in_seconds, std::int64_t now) {
    if (expires_in_seconds < 1 || expires_in_seconds > 604800 || now < 0) {
        return std::nullopt;
    }
    auto url = split_url(object_url);
    if (!url) {
        return std::nullopt;
    }
    // Virtual-hosted S3 (bucket.s3[.-]region.amazonaws.com) -> path style.
    std::string path = url->path;
    std::string host_name = url->host.substr(0, url->host.find(':'));
    if (ends_with(host_name, ".amazonaws.com")) {
        const auto s3 = host_name.find(".s3");
        if (s3 != std::string::npos && s3 > 0) {
            path = "/" + host_name.substr(0, s3) + path;
        }
    }
    // Path style: /bucket/key with a non-empty key.
    const auto key_slash = path.find('/', 1);
    if (key_slash == std::string::npos || key_slash + 1 >= path.size() ||
        !http::split_path(path).has_value()) {
        return std::nullopt;
    }
    http::PresignRequest request;
    if (config_.endpoint.empty()) {
        request.scheme = url->scheme;
        request.host = url->host;
    } else {
        const auto endpoint = split_url(config_.endpoint + "/");
        if (!endpoint) {
            return std::nullopt;
        }
        request.scheme = endpoint->scheme;
        request.host = endpoint->host;
    }
    request.path = path;
    request.region = config_.region;
    request.expires = std::chrono::seconds(expires_in_seconds);
    const std::int64_t window = expires_in_seconds / 2 > 0 ? expires_in_seconds / 2 : 1;
    request.now = http::TimePoint(std::chrono::seconds(now - now % window));
    return http::presign_url(request, config_.credentials);
}

} // namespace fota::cloud
