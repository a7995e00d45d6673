// The control plane's `_fota/control` client and a running object server's control API, over
// libcurl (see http_control.hpp).
#include "http_control.hpp"

#include "fota/sim/stack.hpp"

#include <algorithm>
#include <future>
#include <memory>

namespace fota::sim::stacks {

using json = nlohmann::json;

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

std::shared_ptr<const AwsClient> unsigned_http() {
    static const auto client = std::make_shared<const AwsClient>(std::nullopt, "us-east-1", "");
    return client;
}

ControlClient::ControlClient(const std::string& endpoint, std::shared_ptr<const AwsClient> http)
    : endpoint_(endpoint), http_(std::move(http)) {}

json ControlClient::call(const std::string& op, const json& args, bool allow_error) const {
    const std::string request = json{{"op", op}, {"args", args}}.dump();
    AwsReply answer;
    try {
        answer = http_->send(AwsService::iot, endpoint_, "POST", "/_fota/control", request,
                             {{"content-type", "application/json"}});
    } catch (const StackError& e) {
        throw StackError("control plane " + op + ": " + e.what());
    }
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

RemoteObjects::RemoteObjects(std::string endpoint, std::shared_ptr<const AwsClient> http)
    : endpoint_(std::move(endpoint)), http_(std::move(http)) {
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

void RemoteObjects::clear_faults() {
    send("DELETE", "/_fota/faults", "", "application/json");
}

void RemoteObjects::send(const char* method, const std::string& path, const std::string& body,
                         const char* content_type) const {
    const std::string url = endpoint_ + path;
    const AwsReply reply = http_->send(AwsService::s3, endpoint_, method, path, body,
                                       {{"content-type", content_type}});
    if (reply.status >= 300) {
        throw StackError("object server " + std::string(method) + " " + url + ": HTTP " +
                         std::to_string(reply.status) + ": " + reply.body);
    }
}

} // namespace fota::sim::stacks
