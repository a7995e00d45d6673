// The TLS side of the Asio MQTT session (asio_mqtt_client.hpp): one OpenSSL context per CA file
// and verification mode for the whole process (the CA store is parsed once, not per device), and
// the per-connection part: the device's own certificate and key, the server name (SNI) and its
// verification.
#pragma once

#include "fota/sim/mqtt_client.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>

#include <memory>
#include <string>

namespace fota::sim {

using TlsStream = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;

/// The process's context for these settings (made on first use, shared while any session holds
/// it). Null, with `error` set, when the CA file cannot be loaded.
std::shared_ptr<boost::asio::ssl::context> mqtt_tls_context(const MqttTls& tls, std::string& error);

/// Sets up `stream` for one connection to `host`: the client certificate and key of `tls` (when
/// given), SNI (for a host name), and the server name check (when verify_server). False, with
/// `error` set, when a file cannot be used.
bool prepare_mqtt_tls_stream(TlsStream& stream, const MqttTls& tls, const std::string& host,
                             std::string& error);

} // namespace fota::sim
