// A device's world in the deterministic simulation: the DeviceHost (fota/sim/device_host.hpp)
// whose posts and timers are scheduler events, whose MQTT session is a client of the in-memory
// broker and whose HTTP client is a SimHttpClient. The device runtime on it is the same code as on
// Asio with Paho and libcurl; only its world is simulated.
//
// Posts run in the order they were posted (one queue per host, drained by one event), as an Asio
// strand runs them; what other devices and the network do at the same virtual time is ordered by
// the scheduler's seed.
#pragma once

#include "fota/sim/simulation/broker.hpp"
#include "fota/sim/simulation/http.hpp"
#include "fota/sim/simulation/scheduler.hpp"

#include "fota/sim/device_host.hpp"

#include <memory>

namespace fota::sim::simulation {

/// The simulated world one device is made in; the scheduler, broker and network must outlive
/// every host made with it and everything those hosts made.
struct SimWorld {
    Scheduler& scheduler;
    Broker& broker;
    SimHttpNetwork& http;
};

/// A DeviceHost on `world`.
std::shared_ptr<DeviceHost> make_sim_device_host(SimWorld world);

/// An MQTT session on the in-memory broker with the same behaviour as the Paho session
/// (paho_mqtt_client.hpp): reconnects after every loss or refusal with a capped exponential
/// backoff drawn from [backoff/2, backoff] (seeded by MqttOptions::seed), the same fault knobs
/// and the same counters. Like the Paho session, stop() and drop_connection() report the end of
/// an established session to on_disconnected before they return; every other handler runs from
/// a scheduler event. options.host and port are not used: there is one broker.
std::unique_ptr<MqttClient> make_sim_mqtt_client(Scheduler& scheduler, Broker& broker,
                                                 MqttOptions options, MqttHandlers handlers);

} // namespace fota::sim::simulation
