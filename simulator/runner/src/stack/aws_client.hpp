// The AWS REST calls stack `aws` makes (the IoT control plane, the IoT data plane's shadows, S3),
// each signed with SigV4 by cloud/http's signer and sent with libcurl; no AWS SDK.
#pragma once

#include "fota/cloud/http/sigv4.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace fota::sim::stacks {

/// The services and the names they sign with (botocore's signingName).
enum class AwsService {
    iot,      ///< the IoT control plane: "execute-api"
    iot_data, ///< the IoT data plane over HTTPS (shadows): "iotdata"
    s3,       ///< "s3"
};

/// One answer. error_code is AWS's error type (x-amzn-ErrorType, or the JSON or XML body's code)
/// when status >= 300.
struct AwsReply {
    long status = 0;
    std::string body;
    std::string error_code;
    std::string error_message;

    bool ok() const { return status >= 200 && status < 300; }
    /// "HTTP 409 ResourceAlreadyExistsException: <message>" (or the body when it had no code).
    std::string describe() const;
};

class AwsClient {
public:
    /// ca_file: a PEM bundle trusted instead of the system's (empty: the system's). Without
    /// credentials the requests go unsigned (a local stack without SigV4).
    AwsClient(std::optional<cloud::http::Credentials> credentials, std::string region,
              std::string ca_file);

    /// Sends method base_url + target (the raw path and query, already URI-encoded) with body,
    /// signed for service (when there are credentials). Throws StackError naming the call when no
    /// answer came (transport); an AWS error is an AwsReply with its status.
    AwsReply send(AwsService service, const std::string& base_url, const std::string& method,
                  const std::string& target, const std::string& body = {},
                  std::vector<cloud::http::HttpHeader> headers = {}) const;

    /// send() for a JSON API: the parsed body ({} when empty). Throws StackError with the
    /// reply's description when the status is not 2xx.
    nlohmann::json json_call(AwsService service, const std::string& base_url,
                             const std::string& method, const std::string& target,
                             const nlohmann::json& body = nullptr) const;

    const std::string& region() const { return region_; }

private:
    std::optional<cloud::http::Credentials> credentials_;
    std::string region_;
    std::string ca_file_;
};

/// The text of every <tag>...</tag> in xml (S3's XML bodies), entities decoded, in order.
std::vector<std::string> xml_texts(const std::string& xml, const std::string& tag);

/// AWS's URI encoding of one path segment (every reserved character encoded, '/' too).
std::string encode_segment(const std::string& text);

} // namespace fota::sim::stacks
