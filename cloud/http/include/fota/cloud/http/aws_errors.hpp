// Error bodies in the shapes AWS clients parse: S3's XML <Error> and the rest-json services'
// {"message": ...} with an x-amzn-ErrorType header.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fota::cloud::http {

/// S3's error document:
/// <?xml ...?><Error><Code>code</Code><Message>message</Message>[<Name>value</Name>...]
/// <RequestId>id</RequestId><HostId>...</HostId></Error>. Extra elements keep their order.
std::string s3_error_xml(std::string_view code, std::string_view message,
                         const std::vector<std::pair<std::string, std::string>>& extra,
                         std::string_view request_id);

/// The rest-json error body botocore reads: {"message":"..."} (JSON-escaped). The error code goes
/// in the x-amzn-ErrorType header (see rest_json_error_type).
std::string rest_json_error_body(std::string_view message);

/// Escapes text for a JSON string literal (without the quotes).
std::string json_escape(std::string_view text);

} // namespace fota::cloud::http
