// The object server of the deterministic simulation: the same request handling as the Asio
// server (fota::cloud::ObjectStore: S3 GET/HEAD/PUT, Range, presigned URLs, every fault knob, the
// counters), served on the simulated HTTP network (http.hpp) at a name that is not a port on
// this machine ("http://objects.sim:80" by default). Its clock is the scheduler's: presigned URLs
// expire in virtual time, from the same epoch as SimCloud's.
#pragma once

#include "fota/sim/simulation/http.hpp"
#include "fota/sim/simulation/sim_cloud.hpp"

#include "fota/cloud/object_store.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace fota::sim::simulation {

struct SimObjectServerOptions {
    /// Where it is served and what presigned URLs name: "http://host[:port]".
    std::string endpoint = "http://objects.sim:80";
    /// When set, S3 requests must be SigV4-signed with these (as ObjectStoreConfig says).
    std::optional<cloud::http::Credentials> credentials;
    std::string region = "us-east-1";
    /// The store's clock reads this (Unix seconds) at virtual time 0.
    std::int64_t epoch_seconds = SimCloud::kDefaultEpoch;
    std::uint64_t max_object_size = 256ULL * 1024 * 1024;
    Duration idle_timeout{std::chrono::seconds(120)};
};

class SimObjectServer : public SimHttpEndpoint {
public:
    /// Starts serving on `network` (which must outlive it). Throws std::invalid_argument when the
    /// endpoint is not http://host[:port] or is already served.
    explicit SimObjectServer(SimHttpNetwork& network, SimObjectServerOptions options = {});
    ~SimObjectServer() override;
    SimObjectServer(const SimObjectServer&) = delete;
    SimObjectServer& operator=(const SimObjectServer&) = delete;

    /// Objects, faults, counters and presigning (put_object, add_fault, presign_get, ...).
    cloud::ObjectStore& store() { return store_; }
    [[nodiscard]] const std::string& endpoint() const { return options_.endpoint; }

    // SimHttpEndpoint
    bool accept_connection() override;
    cloud::ResponsePlan handle(const cloud::ObjectRequest& request) override;
    void body_sent(const cloud::ResponsePlan& plan, std::uint64_t bytes) override;
    void response_ended(cloud::ResponsePlan& plan, bool complete) override;
    [[nodiscard]] Duration idle_timeout() const override { return options_.idle_timeout; }

private:
    SimHttpNetwork& network_;
    SimObjectServerOptions options_;
    cloud::ObjectStore store_;
};

} // namespace fota::sim::simulation
