// The DeviceHost of a device on Boost.Asio: a strand of a shared io_context (posts and timers
// run there; the io_context may run on several threads), the steady clock, a Paho MQTT session
// and a libcurl HTTP client on that strand. Declared without Asio's headers so that the device
// runtime's public header can offer a constructor from an io_context without including them.
#pragma once

#include "fota/sim/device_host.hpp"

#include <memory>

namespace boost::asio {
class io_context;
} // namespace boost::asio

namespace fota::sim {

using AsioContext = boost::asio::io_context;

/// A host on a new strand of `io`, which must outlive it and everything it makes.
std::shared_ptr<DeviceHost> make_asio_device_host(AsioContext& io);

} // namespace fota::sim
