// TCP_NODELAY on the sockets of Paho's clients. Paho C 1.3.12 leaves Nagle on and offers no socket
// option or socket callback. So after a device's PUBACK (sent by Paho as a message arrives) the
// core's next publish waited for the broker's delayed ACK of that PUBACK: about 40 ms per job
// step. Paho's public trace callback names each socket it creates ("New socket <fd> for <host>,
// port <port>", at its default level, before it connects); the callback sets TCP_NODELAY there.
#pragma once

#include <cstdint>

namespace fota::sim {

/// On: every socket Paho creates from now on gets TCP_NODELAY (Paho's trace level is its default
/// and the callback reads its lines). Off: Paho's level is ERROR, so it formats no trace line at
/// all (at its default level it formats several per packet; read by the callback, each also costs
/// a localtime call). PahoConnectWaker::Hold turns it on while any connect is pending, which is
/// when Paho creates sockets. Process-wide, any thread; replaces any other Paho trace callback
/// (fota-sim has none).
void watch_new_paho_sockets(bool on);

/// Sockets of Paho's clients given TCP_NODELAY so far in this process.
std::uint64_t paho_sockets_without_nagle();

} // namespace fota::sim
