// The control plane's `_fota/control` client and a running object server's control API, over
// libcurl (see http_control.hpp).
#include "http_control.hpp"

#include "fota/sim/stack.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <future>
#include <memory>

namespace fota::sim::stacks {

using json = nlohmann::json;

namespace {

size_t append_body(char* data, size_t size, size_t count, void* user) {
    static_cast<std::string*>(user)->append(data, size * count);
    return size * count;
}

struct HttpReply {
    long status = 0;
    std::string body;
};

/// One HTTP request (control plane, object server control API); throws StackError naming `what`
/// when it does not get an answer.
HttpReply http_request(const char* method, const std::string& url, const std::string& body,
                       const char* content_type, const std::string& what) {
    static const bool initialised = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
    if (!initialised) {
        throw StackError(what + ": curl_global_init failed");
    }
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
    if (!curl) {
        throw StackError(what + ": curl_easy_init failed");
    }
    const std::string type = std::string("Content-Type: ") + content_type;
    std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(
        curl_slist_append(nullptr, type.c_str()), &curl_slist_free_all);
    HttpReply reply;
    curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, &append_body);
    curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &reply.body);
    curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
    const CURLcode code = curl_easy_perform(curl.get());
    if (code != CURLE_OK) {
        throw StackError(what + ": " + curl_easy_strerror(code));
    }
    curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &reply.status);
    return reply;
}

} // namespace

json control_reply(const std::string& op, const json& args, long status, const std::string& body,
                   bool allow_error) {
    json reply = json::parse(body, nullptr, false);
    if (reply.is_discarded()) {
        reply = json::object();
    }
    if (reply.is_object() && reply.contains("ok") && reply.contains("body")) {
        reply = reply["body"];
    }
    if (status >= 400) {
        if (allow_error) {
            return json{{"__error", body}};
        }
        throw StackError("control plane " + op + " " + args.dump() + ": HTTP " +
                         std::to_string(status) + ": " + body);
    }
    return reply;
}

ControlClient::ControlClient(const std::string& endpoint) : url_(endpoint + "/_fota/control") {}

json ControlClient::call(const std::string& op, const json& args, bool allow_error) const {
    const std::string request = json{{"op", op}, {"args", args}}.dump();
    const HttpReply answer = http_request("POST", url_, request, "application/json",
                                          "control plane " + url_ + ": " + op);
    return control_reply(op, args, answer.status, answer.body, allow_error);
}

std::vector<json> ControlClient::call_many(const std::string& op, const std::vector<json>& args,
                                           bool allow_error) const {
    std::vector<json> replies(args.size());
    constexpr std::size_t kBatch = 32;
    for (std::size_t first = 0; first < args.size(); first += kBatch) {
        std::vector<std::future<json>> batch;
        for (std::size_t i = first; i < std::min(args.size(), first + kBatch); ++i) {
            batch.push_back(std::async(std::launch::async, [this, &op, &args, i, allow_error] {
                return call(op, args[i], allow_error);
            }));
        }
        for (std::size_t i = 0; i < batch.size(); ++i) {
            replies[first + i] = batch[i].get();
        }
    }
    return replies;
}

RemoteObjects::RemoteObjects(std::string endpoint) : endpoint_(std::move(endpoint)) {
    while (!endpoint_.empty() && endpoint_.back() == '/') {
        endpoint_.pop_back();
    }
}

void RemoteObjects::put_object(const std::string& bucket, const std::string& key,
                               const std::string& bytes) {
    send("PUT", "/_fota/objects/" + bucket + "/" + key, bytes, "application/octet-stream");
}

void RemoteObjects::add_fault(const cloud::ObjectFault& fault) {
    send("POST", "/_fota/faults", cloud::object_fault_json(fault), "application/json");
}

void RemoteObjects::send(const char* method, const std::string& path, const std::string& body,
                         const char* content_type) const {
    const std::string url = endpoint_ + path;
    const HttpReply reply = http_request(method, url, body, content_type, "object server " + url);
    if (reply.status >= 300) {
        throw StackError("object server " + std::string(method) + " " + url + ": HTTP " +
                         std::to_string(reply.status) + ": " + reply.body);
    }
}

} // namespace fota::sim::stacks
