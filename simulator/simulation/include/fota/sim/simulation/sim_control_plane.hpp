// The control plane's REST API in the deterministic simulation: the same routes as
// cloud/control_plane (AWS IoT `iot` and `iotdata` calls, POST /_fota/control), run on SimCloud's
// services and served on the simulated HTTP network. This is what a device's shadow report at
// boot (profile ShadowTransport::Https: POST <shadow_base_url>/things/{T}/shadow) reaches in the
// simulation, with shadow_base_url = endpoint().
//
// As the local control plane without credentials: requests are not authenticated (a SigV4
// signature, if any, only names the service). TLS and the device's client certificate are not
// simulated: the endpoint is http://.
#pragma once

#include "fota/sim/simulation/http.hpp"
#include "fota/sim/simulation/sim_cloud.hpp"

#include <string>

namespace fota::sim::simulation {

class SimControlPlane : public SimHttpEndpoint {
public:
    /// Starts serving `cloud` on `network` (both must outlive it). Throws std::invalid_argument
    /// when the endpoint is not http://host[:port] or is already served.
    SimControlPlane(SimHttpNetwork& network, SimCloud& cloud,
                    std::string endpoint = "http://control.sim:80");
    ~SimControlPlane() override;
    SimControlPlane(const SimControlPlane&) = delete;
    SimControlPlane& operator=(const SimControlPlane&) = delete;

    [[nodiscard]] const std::string& endpoint() const { return endpoint_; }

    /// Route, run the call on the services now, answer as the control plane does.
    cloud::ResponsePlan handle(const cloud::ObjectRequest& request) override;

private:
    SimHttpNetwork& network_;
    SimCloud& cloud_;
    std::string endpoint_;
};

} // namespace fota::sim::simulation
