// The strand a device runs on when its host is Boost.Asio (asio_device_host.hpp): every call into
// the device and every handler of its Paho session, curl client and timers runs there.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>

namespace fota::sim {

using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;

} // namespace fota::sim
