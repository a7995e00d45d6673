// The DeviceHost of a device on Boost.Asio: a strand of a shared io_context (posts and timers
// run there; the io_context may run on several threads), the steady clock, an MQTT session (Paho,
// or fota-sim's own on Asio's sockets) and a libcurl HTTP client on that strand. Declared without
// Asio's headers so that the device runtime's public header can offer a constructor from an
// io_context without including them.
#pragma once

#include "fota/sim/device_host.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

namespace boost::asio {
class io_context;
} // namespace boost::asio

namespace fota::sim {

using AsioContext = boost::asio::io_context;

/// Which MqttClient a device on Asio gets.
enum class MqttImplementation : std::uint8_t {
    paho, ///< PahoMqttClient: the Paho MQTT C++ async client (its own threads, process-wide)
    asio, ///< AsioMqttClient: MQTT 3.1.1 on the device's strand, no thread of its own
};

/// "paho" or "asio".
std::string_view to_string(MqttImplementation implementation);
/// From "paho" or "asio"; nothing for any other text.
std::optional<MqttImplementation> mqtt_implementation_from(std::string_view text);

/// A host on a new strand of `io`, which must outlive it and everything it makes.
std::shared_ptr<DeviceHost>
make_asio_device_host(AsioContext& io, MqttImplementation mqtt = MqttImplementation::paho);

} // namespace fota::sim
