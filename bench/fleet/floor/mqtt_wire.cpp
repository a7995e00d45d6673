// MQTT 3.1.1 packets for the floor's minimal client (mqtt_wire.hpp).
#include "mqtt_wire.hpp"

namespace fota::bench::floor {

namespace {

void put_u16(std::string& out, std::uint16_t value) {
    out.push_back(static_cast<char>(value >> 8));
    out.push_back(static_cast<char>(value & 0xff));
}

void put_text(std::string& out, std::string_view text) {
    put_u16(out, static_cast<std::uint16_t>(text.size()));
    out.append(text);
}

// The fixed header (type, flags, remaining length as a variable byte integer) before body.
std::string with_header(PacketType type, std::uint8_t flags, const std::string& body) {
    std::string packet;
    packet.reserve(body.size() + 5);
    packet.push_back(static_cast<char>((static_cast<std::uint8_t>(type) << 4) | flags));
    std::size_t length = body.size();
    do {
        auto digit = static_cast<std::uint8_t>(length % 128);
        length /= 128;
        packet.push_back(static_cast<char>(length > 0 ? digit | 0x80 : digit));
    } while (length > 0);
    packet.append(body);
    return packet;
}

std::uint16_t get_u16(std::string_view bytes, std::size_t at) {
    return static_cast<std::uint16_t>((static_cast<std::uint8_t>(bytes[at]) << 8) |
                                      static_cast<std::uint8_t>(bytes[at + 1]));
}

} // namespace

std::string connect_packet(std::string_view client_id, std::uint16_t keep_alive_s) {
    std::string body;
    put_text(body, "MQTT");
    body.push_back(4);    // protocol level 3.1.1
    body.push_back(0x02); // clean session
    put_u16(body, keep_alive_s);
    put_text(body, client_id);
    return with_header(PacketType::connect, 0, body);
}

std::string subscribe_packet(std::uint16_t packet_id, const std::vector<std::string>& topics) {
    std::string body;
    put_u16(body, packet_id);
    for (const std::string& topic : topics) {
        put_text(body, topic);
        body.push_back(1); // QoS 1
    }
    return with_header(PacketType::subscribe, 0x02, body);
}

std::string unsubscribe_packet(std::uint16_t packet_id, std::string_view topic) {
    std::string body;
    put_u16(body, packet_id);
    put_text(body, topic);
    return with_header(PacketType::unsubscribe, 0x02, body);
}

std::string publish_packet(std::uint16_t packet_id, std::string_view topic,
                           std::string_view payload) {
    std::string body;
    put_text(body, topic);
    put_u16(body, packet_id);
    body.append(payload);
    return with_header(PacketType::publish, 0x02, body);
}

std::string puback_packet(std::uint16_t packet_id) {
    std::string body;
    put_u16(body, packet_id);
    return with_header(PacketType::puback, 0, body);
}

std::string pingreq_packet() {
    return with_header(PacketType::pingreq, 0, {});
}

std::string disconnect_packet() {
    return with_header(PacketType::disconnect, 0, {});
}

ReadStatus read_packet(std::string_view bytes, Packet& packet, std::size_t& used) {
    if (bytes.size() < 2) {
        return ReadStatus::need_more;
    }
    std::size_t length = 0;
    std::size_t at = 1;
    for (unsigned shift = 0;; shift += 7) {
        if (shift > 21) {
            return ReadStatus::malformed;
        }
        if (at >= bytes.size()) {
            return ReadStatus::need_more;
        }
        const auto digit = static_cast<std::uint8_t>(bytes[at++]);
        length |= static_cast<std::size_t>(digit & 0x7f) << shift;
        if ((digit & 0x80) == 0) {
            break;
        }
    }
    if (bytes.size() - at < length) {
        return ReadStatus::need_more;
    }
    const std::string_view body = bytes.substr(at, length);
    used = at + length;
    packet = Packet{};
    packet.type = static_cast<PacketType>(static_cast<std::uint8_t>(bytes[0]) >> 4);
    packet.flags = static_cast<std::uint8_t>(bytes[0]) & 0x0f;
    switch (packet.type) {
    case PacketType::connack:
        if (body.size() < 2) {
            return ReadStatus::malformed;
        }
        packet.return_code = static_cast<std::uint8_t>(body[1]);
        return ReadStatus::packet;
    case PacketType::puback:
    case PacketType::suback:
    case PacketType::unsuback:
        if (body.size() < 2) {
            return ReadStatus::malformed;
        }
        packet.packet_id = get_u16(body, 0);
        return ReadStatus::packet;
    case PacketType::publish: {
        if (body.size() < 2) {
            return ReadStatus::malformed;
        }
        const std::size_t topic_length = get_u16(body, 0);
        const bool has_id = (packet.flags & 0x06) != 0;
        if (body.size() < 2 + topic_length + (has_id ? 2 : 0)) {
            return ReadStatus::malformed;
        }
        packet.topic = body.substr(2, topic_length);
        std::size_t rest = 2 + topic_length;
        if (has_id) {
            packet.packet_id = get_u16(body, rest);
            rest += 2;
        }
        packet.payload = body.substr(rest);
        return ReadStatus::packet;
    }
    default:
        return ReadStatus::packet;
    }
}

} // namespace fota::bench::floor
