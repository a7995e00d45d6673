// The MQTT 3.1.1 packets a device exchanges with its broker (OASIS MQTT 3.1.1, section 3): built
// into a string ready for the socket, and read back from a byte stream one whole packet at a
// time. What a device of fota-sim uses: CONNECT (no will, no credentials), SUBSCRIBE and
// UNSUBSCRIBE (QoS 1), PUBLISH (QoS 0 or 1), PUBACK, PINGREQ, DISCONNECT; read: every packet a
// broker may send a client. Used by the Asio session (asio_mqtt_client.hpp) and by the fleet's
// floor (bench/fleet/floor/). No I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fota::sim::mqtt311 {

/// The control packet types (the fixed header's high nibble).
enum class PacketType : std::uint8_t {
    connect = 1,
    connack = 2,
    publish = 3,
    puback = 4,
    pubrec = 5,
    pubrel = 6,
    pubcomp = 7,
    subscribe = 8,
    suback = 9,
    unsubscribe = 10,
    unsuback = 11,
    pingreq = 12,
    pingresp = 13,
    disconnect = 14,
};

std::string connect_packet(std::string_view client_id, std::uint16_t keep_alive_s,
                           bool clean_session = true);
std::string subscribe_packet(std::uint16_t packet_id, const std::vector<std::string>& topics);
std::string unsubscribe_packet(std::uint16_t packet_id, std::string_view topic);
std::string publish_packet(std::uint16_t packet_id, std::string_view topic,
                           std::string_view payload); ///< QoS 1, retain false
std::string puback_packet(std::uint16_t packet_id);
std::string pingreq_packet();
std::string disconnect_packet();

/// One packet read from the broker. PUBLISH: topic, payload, qos and (QoS 1 or 2) packet_id;
/// CONNACK: return_code and session_present; PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK, UNSUBACK:
/// packet_id.
struct Packet {
    PacketType type{};
    std::uint8_t flags = 0;
    std::uint8_t qos = 0;
    std::uint16_t packet_id = 0;
    std::uint8_t return_code = 0;
    bool session_present = false;
    std::string_view topic;
    std::string_view payload;
};

enum class ReadStatus : std::uint8_t { packet, need_more, malformed };

/// Reads the first packet of `bytes` into `packet` (views into bytes) and sets `used` to its
/// length. need_more when bytes holds only part of it; malformed (and `error` says how) for a
/// reserved packet type, a remaining length over four bytes, fixed-header flags the type does not
/// allow, a PUBLISH of QoS 3, or a body shorter or longer than its fields. Never reads past bytes.
ReadStatus read_packet(std::string_view bytes, Packet& packet, std::size_t& used,
                       std::string* error = nullptr);

/// The packet's length announced by the fixed header at the start of `bytes` (header included),
/// or 0 while the header is incomplete or malformed: lets a reader refuse an oversized packet
/// before buffering it.
std::size_t announced_length(std::string_view bytes);

/// CONNACK's return code in words ("connection accepted", "not authorized", ...).
std::string_view connack_reason(std::uint8_t return_code);

} // namespace fota::sim::mqtt311
