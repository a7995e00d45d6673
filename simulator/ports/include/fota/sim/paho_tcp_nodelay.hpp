// TCP_NODELAY on the sockets of Paho's clients. Paho C 1.3.12 leaves Nagle on and offers no socket
// option or socket callback. So after a device's PUBACK (sent by Paho as a message arrives) the
// core's next publish waited for the broker's delayed ACK of that PUBACK: about 40 ms per job
// step. Paho's public trace callback names each socket it creates ("New socket <fd> for <host>,
// port <port>", at its default level, before it connects); the callback sets TCP_NODELAY there.
#pragma once

namespace fota::sim {

/// The next socket Paho creates gets TCP_NODELAY: call it before a connect. Paho traces at its
/// default level (the highest that still names new sockets) until every awaited socket is named,
/// and at ERROR otherwise, when it formats no trace line at all (at its default level it formats
/// several per packet). Process-wide, any thread; replaces any other Paho trace callback
/// (fota-sim has none).
void await_new_paho_socket();
/// No socket is awaited any more (no connect is pending: a failed one may have made none).
void stop_awaiting_paho_sockets();

} // namespace fota::sim
