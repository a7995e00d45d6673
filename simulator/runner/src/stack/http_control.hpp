// The HTTP side of the embedded and url stacks: the control plane's `_fota/control` endpoint
// (one POST per op, many concurrently) and a running object server's control API
// (PUT /_fota/objects/<bucket>/<key>, POST /_fota/faults), both through an AwsClient (libcurl;
// SigV4-signed and over HTTPS with its CA when the stack is a `fota-sim cloud --tls`).
#pragma once

#include "aws_client.hpp"

#include "fota/cloud/object_server.hpp"

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

namespace fota::sim::stacks {

/// What a control plane's answer to op means for the runner (as ControlClient::call says): the
/// AWS response body, or {"__error": body} when allow_error, else StackError.
nlohmann::json control_reply(const std::string& op, const nlohmann::json& args, long status,
                             const std::string& body, bool allow_error);

/// An AwsClient that signs nothing and trusts the system's CAs (a local stack without TLS).
std::shared_ptr<const AwsClient> unsigned_http();

/// The `_fota/control` endpoint of a control plane at "http(s)://host:port".
class ControlClient {
public:
    ControlClient(const std::string& endpoint, std::shared_ptr<const AwsClient> http);

    /// Runs one control op. Returns the AWS response body; throws StackError when the call fails
    /// (transport, or an AWS error) unless `allow_error`, which returns the error as
    /// {"__error": "<body>"} instead.
    nlohmann::json call(const std::string& op, const nlohmann::json& args,
                        bool allow_error = false) const;

    /// Runs the same op with many argument sets concurrently (the plugin answers requests once
    /// per broker tick, so one at a time costs about 100 ms each); replies in the same order.
    std::vector<nlohmann::json> call_many(const std::string& op,
                                          const std::vector<nlohmann::json>& args,
                                          bool allow_error = false) const;

private:
    std::string endpoint_;
    std::shared_ptr<const AwsClient> http_;
};

/// A running object server reached through its control API.
class RemoteObjects {
public:
    /// endpoint: "http(s)://host:port" (trailing slashes are dropped).
    RemoteObjects(std::string endpoint, std::shared_ptr<const AwsClient> http);
    void put_object(const std::string& bucket, const std::string& key, const std::string& bytes);
    void add_fault(const cloud::ObjectFault& fault);
    /// Removes every fault of the object server (DELETE /_fota/faults).
    void clear_faults();
    const std::string& endpoint() const { return endpoint_; }

private:
    void send(const char* method, const std::string& path, const std::string& body,
              const char* content_type) const;

    std::string endpoint_;
    std::shared_ptr<const AwsClient> http_;
};

} // namespace fota::sim::stacks
