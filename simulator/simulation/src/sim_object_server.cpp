// The object server on the simulated HTTP network (sim_object_server.hpp).
#include "fota/sim/simulation/sim_object_server.hpp"

namespace fota::sim::simulation {

namespace {

cloud::ObjectStoreConfig store_config(Scheduler& scheduler, const SimObjectServerOptions& options) {
    cloud::ObjectStoreConfig config;
    config.credentials = options.credentials;
    config.region = options.region;
    config.max_object_size = options.max_object_size;
    config.endpoint = options.endpoint;
    const auto epoch =
        std::chrono::system_clock::time_point(std::chrono::seconds(options.epoch_seconds));
    config.clock = [&scheduler, epoch] {
        return epoch +
               std::chrono::duration_cast<std::chrono::system_clock::duration>(scheduler.now());
    };
    return config;
}

} // namespace

SimObjectServer::SimObjectServer(SimHttpNetwork& network, SimObjectServerOptions options)
    : network_(network), options_(std::move(options)),
      store_(store_config(network.scheduler(), options_)) {
    network_.add_endpoint(options_.endpoint, *this);
}

SimObjectServer::~SimObjectServer() {
    network_.remove_endpoint(options_.endpoint);
}

bool SimObjectServer::accept_connection() {
    return !store_.refuse_connection();
}

cloud::ResponsePlan SimObjectServer::handle(const cloud::ObjectRequest& request) {
    return store_.handle(request);
}

void SimObjectServer::body_sent(const cloud::ResponsePlan& plan, std::uint64_t bytes) {
    store_.record_body_bytes(plan, bytes);
}

void SimObjectServer::response_ended(cloud::ResponsePlan& plan, bool complete) {
    store_.record_response_end(plan, complete);
}

} // namespace fota::sim::simulation
