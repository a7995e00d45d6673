// A tiny blocking libcurl client for the cloud tests: a real HTTP peer on loopback.
#pragma once

#include <curl/curl.h>

#include <map>
#include <string>
#include <vector>

namespace fota::test {

struct HttpResult {
    CURLcode code = CURLE_OK;
    long status = 0;
    std::map<std::string, std::string> headers; ///< lower-case names; the final response's
    std::string body;
};

/// Sends one request. `headers` are "Name: value" lines. HEAD sends no body and reads none.
HttpResult http_request(const std::string& method, const std::string& url,
                        const std::vector<std::string>& headers = {}, const std::string& body = {},
                        long timeout_ms = 20000, const std::string& ca_file = {},
                        const std::string& client_certificate_file = {},
                        const std::string& client_key_file = {});

} // namespace fota::test
