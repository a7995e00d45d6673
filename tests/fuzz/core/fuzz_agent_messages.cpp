// The whole agent fed arbitrary MQTT messages and HTTP responses: it must never crash, never
// write outside the slot or over unerased flash (the harness checks), and never hang.
#include "fota/script.hpp"

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string_view>

namespace {
std::optional<fota::script::Harness> harness;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace fota;
    script::Setup setup;
    setup.checks = 0;
    harness.emplace(setup);
    (void)harness->step(">boot");
    (void)harness->step(">status 200");
    (void)harness->step(">done");
    (void)harness->step(">connected");
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    // Records separated by '\n': the first byte picks the input, the rest is its argument.
    std::size_t pos = 0;
    while (pos < input.size()) {
        std::size_t end = input.find('\n', pos);
        if (end == std::string_view::npos) {
            end = input.size();
        }
        const std::string_view record = input.substr(pos, end - pos);
        pos = end + 1;
        if (record.empty()) {
            continue;
        }
        Agent* agent = harness->agent();
        if (agent == nullptr || agent->rebooted()) {
            break;
        }
        const std::string_view rest = record.substr(1);
        const std::uint32_t id = harness->last_request_id();
        switch (static_cast<unsigned char>(record[0]) % 8) {
        case 0: {
            const std::size_t space = rest.find(' ');
            agent->on_message(rest.substr(0, space), space == std::string_view::npos
                                                         ? std::string_view{}
                                                         : rest.substr(space + 1));
            break;
        }
        case 1:
            agent->on_message("$aws/things/dev1/jobs/notify-next", rest);
            break;
        case 2:
            agent->on_http_status(id,
                                  rest.empty() ? 206 : 200 + static_cast<unsigned char>(rest[0]));
            break;
        case 3:
            agent->on_http_header(id, "Content-Range", rest);
            break;
        case 4:
            agent->on_http_body(
                id, std::span<const std::uint8_t>(
                        reinterpret_cast<const std::uint8_t*>(rest.data()), rest.size()));
            break;
        case 5:
            agent->on_http_done(id);
            break;
        case 6:
            agent->on_timer(static_cast<TimerId>(rest.empty() ? 0 : rest[0] % 5));
            break;
        case 7:
            agent->on_message("$aws/things/dev1/jobs/job1/update/accepted", rest);
            break;
        }
        if (!harness->failure().empty()) {
            std::abort(); // a NOR violation or an out-of-slot access
        }
    }
    return 0;
}
