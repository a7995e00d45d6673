#include "fota/cloud/control_plane.hpp"

#include "fota/cloud/http/uri.hpp"
#include "fota/cloud/tls/certificates.hpp"
#include "fota/cloud/topic_policy.hpp"
#include "fota/cloud/work_queue.hpp"

#include <nlohmann/json.hpp>

namespace fota::cloud {

namespace {

ControlResult unavailable() {
    return ControlResult::failure("ServiceUnavailableException", 503,
                                  "The fota-sim cloud is stopping; the call was not run.");
}

ControlResult run_guarded(const ControlCall& call, CloudCore& core, std::int64_t now) {
    try {
        return call(core, now);
    } catch (const std::exception& e) {
        return ControlResult::failure("InternalFailureException", 500,
                                      std::string("internal failure: ") + e.what());
    }
}

/// Maps a SigV4 verdict to the error AWS's JSON services send (botocore reads x-amzn-ErrorType).
std::optional<ControlResult> auth_error(const http::SigV4Verdict& v) {
    using S = http::SigV4Status;
    switch (v.status) {
    case S::ok:
        return std::nullopt;
    case S::anonymous:
        return ControlResult::failure("MissingAuthenticationTokenException", 403,
                                      "Missing Authentication Token");
    case S::unknown_access_key:
        return ControlResult::failure("UnrecognizedClientException", 403,
                                      "The security token included in the request is invalid.");
    case S::signature_mismatch:
        return ControlResult::failure("InvalidSignatureException", 403, v.message);
    case S::clock_skew:
    case S::expired:
    case S::not_yet_valid:
        return ControlResult::failure("InvalidSignatureException", 403,
                                      "Signature expired or not yet valid: " + v.message);
    case S::payload_hash_mismatch:
    case S::malformed:
    case S::unsupported_algorithm:
        return ControlResult::failure("IncompleteSignatureException", 400, v.message);
    }
    return ControlResult::failure("AccessDeniedException", 403, v.message);
}

} // namespace

DirectControlBackend::DirectControlBackend(CloudCore& core, std::function<std::int64_t()> clock)
    : core_(core), clock_(std::move(clock)) {}

void DirectControlBackend::run(ControlCall call, std::function<void(ControlResult)> done) {
    const std::int64_t now = clock_();
    ControlResult result = run_guarded(call, core_, now);
    core_.publish(result.messages, now);
    done(std::move(result));
}

QueueControlBackend::QueueControlBackend(WorkQueue& queue) : queue_(queue) {}

void QueueControlBackend::run(ControlCall call, std::function<void(ControlResult)> done) {
    // `done` is shared so that a task dropped by a closing queue can still be answered here.
    auto shared_done = std::make_shared<std::function<void(ControlResult)>>(std::move(done));
    const bool queued =
        queue_.post([call = std::move(call), shared_done](CloudCore& core, std::int64_t now) {
            ControlResult result = run_guarded(call, core, now);
            core.publish(result.messages, now);
            (*shared_done)(std::move(result));
        });
    if (!queued) {
        (*shared_done)(unavailable());
    }
}

/// What the request handler needs; shared with the server's connections so a request that
/// arrives while the control plane is being destroyed still finds it.
struct Dispatcher {
    Dispatcher(ControlPlaneConfig c, ControlBackend& b) : config(std::move(c)), backend(b) {}

    void handle(http::SigV4Request request, http::RestResponder respond) const {
        http::VerifyOptions options;
        options.check_signature = config.credentials.has_value();
        http::SecretLookup lookup;
        if (config.credentials) {
            lookup =
                [creds = *config.credentials](std::string_view akid) -> std::optional<std::string> {
                if (akid == creds.access_key_id) {
                    return creds.secret_access_key;
                }
                return std::nullopt;
            };
        }
        const auto verdict = http::verify_sigv4(request, lookup, config.clock(), options);
        const bool anonymous = verdict.status == http::SigV4Status::anonymous;
        if (anonymous && config.credentials && !request.client_certificate_pem.empty()) {
            return handle_device(request, std::move(respond));
        }
        const bool unsigned_ok = anonymous && !config.credentials;
        if (!unsigned_ok) {
            if (auto error = auth_error(verdict)) {
                return respond(control_response(*error));
            }
        }
        ControlRoute route = route_control_request(request.method, request.target, request.body,
                                                   verdict.scope.service,
                                                   request.header("x-amzn-principal").value_or(""));
        if (route.error) {
            return respond(control_response(*route.error));
        }
        backend.run(std::move(route.call),
                    [respond](ControlResult result) { respond(control_response(result)); });
    }

    // A device authenticated by its TLS client certificate instead of SigV4 (AWS IoT's iot-data
    // endpoint on port 8443): its own thing's shadow calls only, as the thing it may connect as
    // over MQTT (a CreateKeysAndCertificate certificate: an ACTIVE one attached to the thing;
    // another: CN = thing name).
    void handle_device(const http::SigV4Request& request,
                       const http::RestResponder& respond) const {
        ControlRoute route =
            route_control_request(request.method, request.target, request.body, "iotdata");
        if (route.error) {
            return respond(control_response(*route.error));
        }
        const auto segments = http::split_path(http::split_target(request.target).path);
        const bool shadow_call = route.operation == "GetThingShadow" ||
                                 route.operation == "UpdateThingShadow" ||
                                 route.operation == "DeleteThingShadow";
        if (!shadow_call || !segments || segments->size() < 2) {
            return respond(control_response(ControlResult::failure(
                "ForbiddenException", 403,
                "A client certificate authorizes its own thing's shadow calls only; sign " +
                    route.operation + " with SigV4")));
        }
        const std::string thing = (*segments)[1];
        const std::string id =
            tls::certificate_id_of_pem(request.client_certificate_pem).value_or("");
        const auto common_name = tls::common_name_of_pem(request.client_certificate_pem);
        ControlCall call = [thing, id, common_name,
                            inner = std::move(route.call)](CloudCore& core, std::int64_t now) {
            const auto registered = core.identity().connect_refusal(thing, id);
            const std::string refusal =
                registered ? *registered : connect_refusal(thing, common_name);
            if (!refusal.empty()) {
                return ControlResult::failure("ForbiddenException", 403,
                                              "The client certificate may not act as thing " +
                                                  thing + ": " + refusal);
            }
            return inner(core, now);
        };
        backend.run(std::move(call),
                    [respond](ControlResult result) { respond(control_response(result)); });
    }

    ControlPlaneConfig config;
    ControlBackend& backend;
};

struct ControlPlane::Impl {
    Impl(boost::asio::io_context& io, ControlPlaneConfig c, ControlBackend& b)
        : dispatcher(std::make_shared<Dispatcher>(c, b)),
          server(io, c.server,
                 [d = dispatcher](http::SigV4Request request, http::RestResponder respond) {
                     d->handle(std::move(request), std::move(respond));
                 }) {}

    std::shared_ptr<Dispatcher> dispatcher;
    http::RestServer server;
};

ControlPlane::ControlPlane(boost::asio::io_context& io, ControlPlaneConfig config,
                           ControlBackend& backend)
    : impl_(std::make_unique<Impl>(io, std::move(config), backend)) {}

ControlPlane::~ControlPlane() {
    stop();
}

void ControlPlane::start() {
    impl_->server.start();
}
void ControlPlane::stop() {
    impl_->server.stop();
}
std::uint16_t ControlPlane::port() const {
    return impl_->server.port();
}
std::string ControlPlane::endpoint() const {
    return impl_->server.endpoint();
}

} // namespace fota::cloud
