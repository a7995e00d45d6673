// TCP_NODELAY on the sockets of Paho's clients. Paho C 1.3.12 leaves Nagle on and offers no socket
// option or socket callback. So after a device's PUBACK (sent by Paho as a message arrives) the
// core's next publish waited for the broker's delayed ACK of that PUBACK: about 40 ms per job
// step. Paho's public trace callback names each socket it creates ("New socket <fd> for <host>,
// port <port>", at its default level, before it connects); the callback sets TCP_NODELAY there.
#pragma once

#include <cstdint>

namespace fota::sim {

/// Installs the trace callback once for the process (Paho has one); safe from any thread.
/// Replaces any other Paho trace callback of the process (there is none in fota-sim).
void enable_paho_tcp_nodelay();

/// Sockets of Paho's clients given TCP_NODELAY so far in this process.
std::uint64_t paho_sockets_without_nagle();

} // namespace fota::sim
