// The control plane's REST API on the simulated network (sim_control_plane.hpp).
#include "fota/sim/simulation/sim_control_plane.hpp"

#include "fota/cloud/control_plane.hpp"
#include "fota/cloud/http/sigv4.hpp"

#include <chrono>
#include <memory>

namespace fota::sim::simulation {

SimControlPlane::SimControlPlane(SimHttpNetwork& network, SimCloud& cloud, std::string endpoint)
    : network_(network), cloud_(cloud), endpoint_(std::move(endpoint)) {
    network_.add_endpoint(endpoint_, *this);
}

SimControlPlane::~SimControlPlane() {
    network_.remove_endpoint(endpoint_);
}

cloud::ResponsePlan SimControlPlane::handle(const cloud::ObjectRequest& request) {
    cloud::http::SigV4Request signable;
    signable.method = std::string(request.method_string());
    signable.target = std::string(request.target());
    for (const auto& field : request) {
        signable.headers.push_back({std::string(field.name_string()), std::string(field.value())});
    }
    signable.body = request.body();
    // Not checked (no credentials), only read for the service name the routes distinguish.
    cloud::http::VerifyOptions options;
    options.check_signature = false;
    const auto now =
        std::chrono::system_clock::time_point(std::chrono::seconds(cloud_.now_seconds()));
    const auto verdict = cloud::http::verify_sigv4(signable, {}, now, options);
    const std::string service =
        verdict.status == cloud::http::SigV4Status::ok ? verdict.scope.service : std::string();

    const cloud::ControlRoute route =
        cloud::route_control_request(signable.method, signable.target, signable.body, service);
    const cloud::http::RestResponse response =
        cloud::control_response(route.error ? *route.error : cloud_.run(route.call));

    cloud::ResponsePlan plan;
    plan.status = response.status;
    plan.headers = response.headers;
    plan.length = response.body.size();
    plan.content_length = response.body.size();
    plan.body = std::make_shared<const std::string>(response.body);
    plan.close = !request.keep_alive();
    return plan;
}

} // namespace fota::sim::simulation
