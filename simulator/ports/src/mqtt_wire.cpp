// MQTT 3.1.1 packets (mqtt_wire.hpp).
#include "fota/sim/mqtt_wire.hpp"

namespace fota::sim::mqtt311 {

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

enum class HeaderStatus : std::uint8_t { complete, need_more, malformed };

// The remaining length after the first byte: its value and where the body starts.
HeaderStatus read_header(std::string_view bytes, std::size_t& length, std::size_t& body_at) {
    length = 0;
    body_at = 1;
    for (unsigned shift = 0;; shift += 7) {
        if (shift > 21) {
            return HeaderStatus::malformed; // more than four bytes of remaining length
        }
        if (body_at >= bytes.size()) {
            return HeaderStatus::need_more;
        }
        const auto digit = static_cast<std::uint8_t>(bytes[body_at++]);
        length |= static_cast<std::size_t>(digit & 0x7f) << shift;
        if ((digit & 0x80) == 0) {
            return HeaderStatus::complete;
        }
    }
}

ReadStatus malformed(std::string* error, const char* what) {
    if (error != nullptr) {
        *error = what;
    }
    return ReadStatus::malformed;
}

// The fixed-header flags MQTT 3.1.1 (2.2.2) allows for each type but PUBLISH.
bool flags_allowed(PacketType type, std::uint8_t flags) {
    switch (type) {
    case PacketType::pubrel:
    case PacketType::subscribe:
    case PacketType::unsubscribe:
        return flags == 0x02;
    default:
        return flags == 0;
    }
}

ReadStatus read_publish(std::string_view body, Packet& packet, std::string* error) {
    packet.qos = static_cast<std::uint8_t>((packet.flags >> 1) & 0x03);
    if (packet.qos == 3) {
        return malformed(error, "PUBLISH with QoS 3");
    }
    if (body.size() < 2) {
        return malformed(error, "PUBLISH shorter than its topic length");
    }
    const std::size_t topic_length = get_u16(body, 0);
    const std::size_t id_length = packet.qos > 0 ? 2 : 0;
    if (body.size() < 2 + topic_length + id_length) {
        return malformed(error, "PUBLISH shorter than its topic and packet identifier");
    }
    packet.topic = body.substr(2, topic_length);
    std::size_t rest = 2 + topic_length;
    if (id_length > 0) {
        packet.packet_id = get_u16(body, rest);
        rest += 2;
    }
    packet.payload = body.substr(rest);
    return ReadStatus::packet;
}

} // namespace

std::string connect_packet(std::string_view client_id, std::uint16_t keep_alive_s,
                           bool clean_session) {
    std::string body;
    put_text(body, "MQTT");
    body.push_back(4); // protocol level 3.1.1
    body.push_back(clean_session ? 0x02 : 0x00);
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
    body.reserve(topic.size() + payload.size() + 4);
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

std::size_t announced_length(std::string_view bytes) {
    std::size_t length = 0;
    std::size_t body_at = 0;
    if (read_header(bytes, length, body_at) != HeaderStatus::complete) {
        return 0;
    }
    return body_at + length;
}

ReadStatus read_packet(std::string_view bytes, Packet& packet, std::size_t& used,
                       std::string* error) {
    if (bytes.empty()) {
        return ReadStatus::need_more;
    }
    std::size_t length = 0;
    std::size_t body_at = 0;
    switch (read_header(bytes, length, body_at)) {
    case HeaderStatus::need_more:
        return ReadStatus::need_more;
    case HeaderStatus::malformed:
        return malformed(error, "remaining length longer than four bytes");
    case HeaderStatus::complete:
        break;
    }
    if (bytes.size() - body_at < length) {
        return ReadStatus::need_more;
    }
    const std::string_view body = bytes.substr(body_at, length);
    used = body_at + length;
    packet = Packet{};
    const auto first = static_cast<std::uint8_t>(bytes[0]);
    if ((first >> 4) == 0 || (first >> 4) == 15) {
        return malformed(error, "reserved packet type");
    }
    packet.type = static_cast<PacketType>(first >> 4);
    packet.flags = first & 0x0f;
    if (packet.type == PacketType::publish) {
        return read_publish(body, packet, error);
    }
    if (!flags_allowed(packet.type, packet.flags)) {
        return malformed(error, "fixed-header flags the packet type does not allow");
    }
    switch (packet.type) {
    case PacketType::connack:
        if (body.size() != 2 || (static_cast<std::uint8_t>(body[0]) & 0xfe) != 0) {
            return malformed(error, "CONNACK is not two bytes with only session-present set");
        }
        packet.session_present = (body[0] & 0x01) != 0;
        packet.return_code = static_cast<std::uint8_t>(body[1]);
        return ReadStatus::packet;
    case PacketType::puback:
    case PacketType::pubrec:
    case PacketType::pubrel:
    case PacketType::pubcomp:
    case PacketType::unsuback:
        if (body.size() != 2) {
            return malformed(error, "acknowledgement is not a two-byte packet identifier");
        }
        packet.packet_id = get_u16(body, 0);
        return ReadStatus::packet;
    case PacketType::suback:
        if (body.size() < 3) {
            return malformed(error, "SUBACK without a return code");
        }
        packet.packet_id = get_u16(body, 0);
        packet.return_code = static_cast<std::uint8_t>(body[2]);
        return ReadStatus::packet;
    case PacketType::pingreq:
    case PacketType::pingresp:
    case PacketType::disconnect:
        if (!body.empty()) {
            return malformed(error, "PINGREQ, PINGRESP or DISCONNECT with a body");
        }
        return ReadStatus::packet;
    default: // CONNECT, SUBSCRIBE, UNSUBSCRIBE: the caller decides (a client refuses them)
        return ReadStatus::packet;
    }
}

std::string_view connack_reason(std::uint8_t return_code) {
    switch (return_code) {
    case 0:
        return "connection accepted";
    case 1:
        return "unacceptable protocol version";
    case 2:
        return "client identifier rejected";
    case 3:
        return "server unavailable";
    case 4:
        return "bad user name or password";
    case 5:
        return "not authorized";
    default:
        return "unknown return code";
    }
}

} // namespace fota::sim::mqtt311
