// SigV4-signed AWS REST calls over libcurl (see aws_client.hpp).
#include "aws_client.hpp"

#include "fota/cloud/http/uri.hpp"
#include "fota/sim/stack.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <memory>

namespace fota::sim::stacks {

using json = nlohmann::json;

namespace {

size_t append_aws_body(char* data, size_t size, size_t count, void* user) {
    static_cast<std::string*>(user)->append(data, size * count);
    return size * count;
}

size_t append_aws_header(char* data, size_t size, size_t count, void* user) {
    auto* headers = static_cast<std::vector<cloud::http::HttpHeader>*>(user);
    const std::string line(data, size * count);
    const auto colon = line.find(':');
    if (colon != std::string::npos) {
        std::string value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(" \t"));
        while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) {
            value.pop_back();
        }
        headers->push_back({line.substr(0, colon), value});
    }
    return size * count;
}

const char* signing_name(AwsService service) {
    switch (service) {
    case AwsService::iot:
        return "execute-api";
    case AwsService::iot_data:
        return "iotdata";
    case AwsService::s3:
        break;
    }
    return "s3";
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

/// AWS's error code and message from the headers and body of a failed reply.
void read_error(AwsReply& reply, const std::vector<cloud::http::HttpHeader>& headers) {
    for (const auto& h : headers) {
        if (lower(h.name) == "x-amzn-errortype") {
            reply.error_code = h.value.substr(0, h.value.find(':'));
        }
    }
    const json body = json::parse(reply.body, nullptr, false);
    if (body.is_object()) {
        for (const char* key : {"message", "Message"}) {
            if (body.contains(key) && body[key].is_string()) {
                reply.error_message = body[key].get<std::string>();
            }
        }
        if (reply.error_code.empty() && body.contains("__type") && body["__type"].is_string()) {
            reply.error_code = body["__type"].get<std::string>();
        }
    } else if (reply.body.find("<Error>") != std::string::npos) {
        if (reply.error_code.empty()) {
            const auto code = xml_texts(reply.body, "Code");
            reply.error_code = code.empty() ? std::string() : code.front();
        }
        const auto message = xml_texts(reply.body, "Message");
        reply.error_message = message.empty() ? std::string() : message.front();
    }
}

/// "host[:port]" of an http(s) URL.
std::string url_host(const std::string& url) {
    const auto start = url.find("://");
    const std::string rest = start == std::string::npos ? url : url.substr(start + 3);
    return rest.substr(0, rest.find('/'));
}

} // namespace

namespace {

std::string xml_unescape(std::string text) {
    const std::pair<const char*, const char*> entities[] = {
        {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&apos;", "'"}, {"&amp;", "&"}};
    for (const auto& [from, to] : entities) {
        for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + 1)) {
            text.replace(at, std::string(from).size(), to);
        }
    }
    return text;
}

} // namespace

std::vector<std::string> xml_texts(const std::string& xml, const std::string& tag) {
    std::vector<std::string> out;
    const std::string open = "<" + tag + ">";
    const std::string close = "</" + tag + ">";
    for (auto at = xml.find(open); at != std::string::npos; at = xml.find(open, at)) {
        const auto from = at + open.size();
        const auto end = xml.find(close, from);
        if (end == std::string::npos) {
            break;
        }
        out.push_back(xml_unescape(xml.substr(from, end - from)));
        at = end;
    }
    return out;
}

std::string AwsReply::describe() const {
    std::string text = "HTTP " + std::to_string(status);
    if (!error_code.empty()) {
        text += " " + error_code;
    }
    if (!error_message.empty()) {
        text += ": " + error_message;
    } else if (error_code.empty() && !body.empty()) {
        text += ": " + body.substr(0, 300);
    }
    return text;
}

std::string encode_segment(const std::string& text) {
    return cloud::http::aws_uri_encode(text, true);
}

AwsClient::AwsClient(std::optional<cloud::http::Credentials> credentials, std::string region,
                     std::string ca_file)
    : credentials_(std::move(credentials)), region_(std::move(region)),
      ca_file_(std::move(ca_file)) {}

AwsReply AwsClient::send(AwsService service, const std::string& base_url, const std::string& method,
                         const std::string& target, const std::string& body,
                         std::vector<cloud::http::HttpHeader> headers) const {
    static const bool initialised = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
    const std::string what = std::string(method) + " " + base_url + target;
    if (!initialised) {
        throw StackError(what + ": curl_global_init failed");
    }
    cloud::http::SigV4Request request;
    request.method = method;
    request.target = target;
    request.body = body;
    request.headers = std::move(headers);
    request.headers.push_back({"host", url_host(base_url)});
    if (credentials_) {
        cloud::http::sign_request(request, *credentials_, region_, signing_name(service),
                                  std::chrono::system_clock::now());
    }

    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
    if (!curl) {
        throw StackError(what + ": curl_easy_init failed");
    }
    curl_slist* list = curl_slist_append(nullptr, "Expect:");
    for (const auto& h : request.headers) {
        if (lower(h.name) != "host") {
            list = curl_slist_append(list, (h.name + ": " + h.value).c_str());
        }
    }
    std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> header_list(list,
                                                                            &curl_slist_free_all);
    AwsReply reply;
    std::vector<cloud::http::HttpHeader> reply_headers;
    const std::string url = base_url + target;
    curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_CUSTOMREQUEST, method.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, header_list.get());
    if (method != "GET" && method != "DELETE") {
        curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, request.body.data());
        curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE_LARGE,
                         static_cast<curl_off_t>(request.body.size()));
    } else if (method == "GET") {
        curl_easy_setopt(curl.get(), CURLOPT_HTTPGET, 1L);
    }
    if (method == "HEAD") {
        curl_easy_setopt(curl.get(), CURLOPT_NOBODY, 1L);
    }
    if (!ca_file_.empty()) {
        curl_easy_setopt(curl.get(), CURLOPT_CAINFO, ca_file_.c_str());
    }
    curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, &append_aws_body);
    curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &reply.body);
    curl_easy_setopt(curl.get(), CURLOPT_HEADERFUNCTION, &append_aws_header);
    curl_easy_setopt(curl.get(), CURLOPT_HEADERDATA, &reply_headers);
    curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT, 15L);
    curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
    const CURLcode code = curl_easy_perform(curl.get());
    if (code != CURLE_OK) {
        throw StackError(what + ": " + curl_easy_strerror(code));
    }
    curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &reply.status);
    if (!reply.ok()) {
        read_error(reply, reply_headers);
    }
    return reply;
}

json AwsClient::json_call(AwsService service, const std::string& base_url,
                          const std::string& method, const std::string& target,
                          const json& body) const {
    std::vector<cloud::http::HttpHeader> headers;
    std::string text;
    if (!body.is_null()) {
        text = body.dump();
        headers.push_back({"content-type", "application/json"});
    }
    const AwsReply reply = send(service, base_url, method, target, text, headers);
    if (!reply.ok()) {
        throw StackError(method + " " + base_url + target + ": " + reply.describe());
    }
    if (reply.body.empty()) {
        return json::object();
    }
    json parsed = json::parse(reply.body, nullptr, false);
    if (parsed.is_discarded()) {
        throw StackError(method + " " + base_url + target +
                         ": the answer is not JSON: " + reply.body.substr(0, 200));
    }
    return parsed;
}

} // namespace fota::sim::stacks
