// The few MQTT 3.1.1 packets the floor's clients exchange (bench/fleet/floor/README.md): built
// into a string ready for the socket, and read back from a byte stream one whole packet at a
// time. Only what a device of the seed's profile uses: CONNECT (clean session, no will, no
// credentials), SUBSCRIBE and UNSUBSCRIBE (QoS 1), PUBLISH (QoS 0 or 1), PUBACK, DISCONNECT.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fota::bench::floor {

/// The control packet types this client reads or writes (the fixed header's high nibble).
enum class PacketType : std::uint8_t {
    connect = 1,
    connack = 2,
    publish = 3,
    puback = 4,
    subscribe = 8,
    suback = 9,
    unsubscribe = 10,
    unsuback = 11,
    pingreq = 12,
    pingresp = 13,
    disconnect = 14,
};

std::string connect_packet(std::string_view client_id, std::uint16_t keep_alive_s);
std::string subscribe_packet(std::uint16_t packet_id, const std::vector<std::string>& topics);
std::string unsubscribe_packet(std::uint16_t packet_id, std::string_view topic);
std::string publish_packet(std::uint16_t packet_id, std::string_view topic,
                           std::string_view payload); ///< QoS 1
std::string puback_packet(std::uint16_t packet_id);
std::string pingreq_packet();
std::string disconnect_packet();

/// One packet read from the broker. For PUBLISH: topic, payload and (QoS 1) packet_id; for
/// CONNACK: return_code; for PUBACK, SUBACK, UNSUBACK: packet_id.
struct Packet {
    PacketType type{};
    std::uint8_t flags = 0;
    std::uint16_t packet_id = 0;
    std::uint8_t return_code = 0;
    std::string_view topic;
    std::string_view payload;
};

enum class ReadStatus : std::uint8_t { packet, need_more, malformed };

/// Reads the first packet of `bytes` into `packet` (views into bytes) and sets `used` to its
/// length. need_more when bytes holds only part of it; malformed for a remaining length over
/// four bytes or a body shorter than its fields (never reads past bytes).
ReadStatus read_packet(std::string_view bytes, Packet& packet, std::size_t& used);

} // namespace fota::bench::floor
