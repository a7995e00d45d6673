// libFuzzer target: the MQTT 3.1.1 reader must split any byte stream into whole packets, a need
// for more bytes or a malformed packet with a reason; never read past its input, crash or hang.
// A PUBLISH it reads, built again, reads back the same.
#include "fota/sim/mqtt_wire.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

using namespace fota::sim::mqtt311;

namespace {

bool within(std::string_view part, std::string_view whole) {
    return part.empty() || (part.data() >= whole.data() &&
                            part.data() + part.size() <= whole.data() + whole.size());
}

void check_publish(const Packet& packet) {
    if (packet.qos != 1 || packet.topic.empty()) {
        return;
    }
    const std::string again = publish_packet(packet.packet_id, packet.topic, packet.payload);
    Packet read;
    std::size_t used = 0;
    if (read_packet(again, read, used) != ReadStatus::packet || used != again.size() ||
        read.topic != packet.topic || read.payload != packet.payload ||
        read.packet_id != packet.packet_id) {
        std::abort();
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string bytes(reinterpret_cast<const char*>(data), size);
    std::string_view rest = bytes;
    while (!rest.empty()) {
        Packet packet;
        std::size_t used = 0;
        std::string error;
        const ReadStatus status = read_packet(rest, packet, used, &error);
        if (status == ReadStatus::need_more) {
            break;
        }
        if (status == ReadStatus::malformed) {
            if (error.empty()) {
                std::abort(); // every refusal says why
            }
            break;
        }
        if (used == 0 || used > rest.size() || announced_length(rest) != used ||
            !within(packet.topic, rest.substr(0, used)) ||
            !within(packet.payload, rest.substr(0, used))) {
            std::abort();
        }
        if (packet.type == PacketType::publish) {
            check_publish(packet);
        }
        rest.remove_prefix(used);
    }
    return 0;
}
