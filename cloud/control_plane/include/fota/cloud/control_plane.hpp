// The control-plane REST server: the AWS IoT (`iot`) and IoT data (`iotdata`) REST calls a harness
// needs, with AWS's paths, JSON shapes and error bodies (spec §8), so the AWS CLI and SDKs work
// against the local stack with --endpoint-url.
//
//   iot:     CreateThing POST /things/{T}; DescribeThing GET /things/{T}; ListThings GET /things;
//            CreateJob PUT /jobs/{J}; DescribeJob GET /jobs/{J}; GetJobDocument
//            GET /jobs/{J}/job-document; ListJobs GET /jobs; CancelJob PUT /jobs/{J}/cancel;
//            DeleteJob DELETE /jobs/{J}; DescribeJobExecution GET /things/{T}/jobs/{J};
//            ListJobExecutionsForJob GET /jobs/{J}/things; ListJobExecutionsForThing
//            GET /things/{T}/jobs; CancelJobExecution PUT /things/{T}/jobs/{J}/cancel;
//            DeleteJobExecution DELETE /things/{T}/jobs/{J}/executionNumber/{N}; DeleteThing
//            DELETE /things/{T} (refused while a principal is attached)
//   iot identity: DescribeEndpoint GET /endpoint; CreateKeysAndCertificate POST
//            /keys-and-certificate; Describe/Update/DeleteCertificate GET/PUT/DELETE
//            /certificates/{id}; CreatePolicy POST, GetPolicy GET, DeletePolicy DELETE
//            /policies/{P}; AttachPolicy PUT, DetachPolicy POST /target-policies/{P};
//            ListAttachedPolicies POST /attached-policies/{target}; Attach/Detach/
//            ListThingPrincipal(s) PUT/DELETE/GET /things/{T}/principals (x-amzn-principal)
//   iotdata: GetThingShadow GET, UpdateThingShadow POST, DeleteThingShadow DELETE
//            /things/{T}/shadow[?name=N]; ListNamedShadowsForThing
//            GET /api/things/shadow/ListNamedShadowsForThing/{T}
//   fota-sim: POST /_fota/control with the JSON of the `$fota/control` MQTT API
//            (cloud/mqtt_plugin/include/fota/cloud/control_dispatch.hpp): fault knobs and calls.
//
// Errors: HTTP status per spec §8.4, header x-amzn-ErrorType: <Exception>, body {"message":...}.
// With credentials configured, every request must carry a valid SigV4 signature.
//
// The services are not thread-safe and live on another thread (the broker's): the server hands
// each call to a ControlBackend and answers when the backend calls back, never blocking its
// io_context.
#pragma once

#include "fota/cloud/cloud_core.hpp"
#include "fota/cloud/http/rest_server.hpp"
#include "fota/cloud/http/sigv4.hpp"
#include "fota/cloud/messages.hpp"

#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace fota::cloud {

class WorkQueue;

/// One control call, to run where the services live.
using ControlCall = std::function<ControlResult(CloudCore& core, std::int64_t now)>;

/// Runs control calls on the services' thread.
class ControlBackend {
public:
    virtual ~ControlBackend() = default;
    /// Runs `call`, publishes the MQTT messages its result carries, then calls `done(result)`
    /// (from any thread). If the call cannot run (the cloud is stopping), `done` gets a
    /// ServiceUnavailableException result. Never blocks.
    virtual void run(ControlCall call, std::function<void(ControlResult)> done) = 0;
};

/// Runs calls inline on a CloudCore the caller owns (single-threaded hosts and unit tests).
/// `now` comes from `clock` (epoch seconds).
class DirectControlBackend : public ControlBackend {
public:
    DirectControlBackend(CloudCore& core, std::function<std::int64_t()> clock);
    void run(ControlCall call, std::function<void(ControlResult)> done) override;

private:
    CloudCore& core_;
    std::function<std::int64_t()> clock_;
};

/// Hands calls to the broker thread through the plugin's WorkQueue.
class QueueControlBackend : public ControlBackend {
public:
    explicit QueueControlBackend(WorkQueue& queue);
    void run(ControlCall call, std::function<void(ControlResult)> done) override;

private:
    WorkQueue& queue_;
};

/// A parsed REST request: which operation, with which arguments. Exposed for tests and fuzzing.
struct ControlRoute {
    std::optional<ControlResult> error; ///< set when the request maps to no valid call
    std::string operation;              ///< e.g. "CreateJob"
    ControlCall call;                   ///< set when error is not
};

/// Maps method + raw target + body to a call (no I/O, no authentication). `service` is the SigV4
/// signing name from the credential scope ("iot", "iotdata", ...) or empty when unsigned;
/// `principal` the x-amzn-principal header (Attach/DetachThingPrincipal). Never throws for bad
/// input.
ControlRoute route_control_request(const std::string& method, const std::string& target,
                                   const std::string& body, const std::string& service,
                                   const std::string& principal = {});

/// The HTTP answer for a call's result (AWS's error format on failure).
http::RestResponse control_response(const ControlResult& result);

struct ControlPlaneConfig {
    http::RestServerConfig server;
    /// When set, requests must be SigV4-signed with these credentials (any service name).
    std::optional<http::Credentials> credentials;
    http::WallClock clock = http::system_wall_clock(); ///< for signature dates
};

class ControlPlane {
public:
    /// `backend` must outlive the control plane.
    ControlPlane(boost::asio::io_context& io, ControlPlaneConfig config, ControlBackend& backend);
    ~ControlPlane();
    ControlPlane(const ControlPlane&) = delete;
    ControlPlane& operator=(const ControlPlane&) = delete;

    void start(); ///< binds (throws std::system_error on failure) and accepts
    void stop();
    [[nodiscard]] std::uint16_t port() const;
    [[nodiscard]] std::string endpoint() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace fota::cloud
