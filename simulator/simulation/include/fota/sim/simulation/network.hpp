// The in-memory network of the deterministic simulation: how long a message takes from one end
// of a connection to the other (a base latency plus seeded jitter), with each direction of a
// connection kept in order, as TCP keeps it.
#pragma once

#include "fota/sim/simulation/scheduler.hpp"

namespace fota::sim::simulation {

struct NetworkOptions {
    Duration latency{std::chrono::milliseconds(20)}; ///< one way, before jitter
    Duration jitter{std::chrono::milliseconds(10)};  ///< up to this much more, seeded
};

/// One direction of one connection: what is sent later never arrives earlier.
class Link {
public:
    /// When a message sent now arrives: now + latency + jitter, but always after the message
    /// sent before it on this link.
    TimePoint arrival(Scheduler& scheduler, const NetworkOptions& options) {
        const auto jitter = options.jitter.count() > 0
                                ? Duration(static_cast<Duration::rep>(scheduler.random().below(
                                      static_cast<std::uint64_t>(options.jitter.count()) + 1)))
                                : Duration(0);
        TimePoint when = scheduler.now() + options.latency + jitter;
        if (when <= last_) {
            // Strictly later: two arrivals at the same time would be ordered by the seed.
            when = last_ + Duration(1);
        }
        last_ = when;
        return when;
    }

private:
    TimePoint last_{0};
};

} // namespace fota::sim::simulation
