// Fuzzes the Jobs device API: topic (after a selector byte) and payload are attacker-controlled.
// Input: byte 0 picks a request topic (or, if >= the table size, the topic is read from the
// input up to the first '\n'); the rest is the payload. Time advances with the input.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fota/cloud/cloud_core.hpp"
#include "fota/cloud/control_dispatch.hpp"
#include "fota/cloud/json_input.hpp"

namespace {

fota::cloud::CloudCore& core() {
    static fota::cloud::CloudCore instance{fota::cloud::CloudConfig{}};
    static bool ready = false;
    if (!ready) {
        ready = true;
        using nlohmann::json;
        instance.jobs().create_thing("dev1", json::object(), 1);
        instance.jobs().create_job(
            "job1",
            json{{"targets", {"arn:aws:iot:us-east-1:123456789012:thing/dev1"}},
                 {"document", R"({"operation":"fota","url":"${aws:iot:s3-presigned-url:x}"})"},
                 {"timeoutConfig", {{"inProgressTimeoutInMinutes", 1}}},
                 {"jobExecutionsRetryConfig",
                  {{"criteriaList", {{{"failureType", "ALL"}, {"numberOfRetries", 2}}}}}}},
            1);
    }
    return instance;
}

const char* const topics[] = {
    "$aws/things/dev1/jobs/get",
    "$aws/things/dev1/jobs/start-next",
    "$aws/things/dev1/jobs/$next/get",
    "$aws/things/dev1/jobs/job1/get",
    "$aws/things/dev1/jobs/job1/update",
    "$aws/things/dev1/jobs/nope/update",
    "$aws/things/dev1/shadow/update",
    "$aws/things/dev1/shadow/get",
    "$aws/things/dev1/shadow/name/n/update",
};
constexpr std::size_t topic_count = sizeof(topics) / sizeof(topics[0]);

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    static std::int64_t now = 1000;
    now += data[0] % 7 == 0 ? 61 : 1; // sometimes let the timers fire
    std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
    std::string topic;
    if (data[0] < topic_count) {
        topic = topics[data[0]];
    } else if (data[0] == 0xFF) {
        fota::cloud::ControlResult ignored = fota::cloud::dispatch_control(
            core(), nlohmann::json::parse(input, nullptr, false), now);
        (void)ignored;
        return 0;
    } else {
        const std::size_t newline = input.find('\n');
        topic = "$aws/things/dev1/" + std::string(input.substr(0, newline));
        input = newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);
    }
    core().handle_message("dev1", topic, input, now);
    core().tick(now);
    return 0;
}
