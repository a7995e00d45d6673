// Fuzzes topic parsing and the broker's topic policy with arbitrary topics and client ids.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fota/cloud/jobs_topic.hpp"
#include "fota/cloud/shadow_topic.hpp"
#include "fota/cloud/topic_policy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) {
        return 0;
    }
    const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
    const std::size_t split = input.find('\n');
    const std::string_view client =
        split == std::string_view::npos ? "dev1" : input.substr(0, split);
    const std::string_view topic =
        split == std::string_view::npos ? input : input.substr(split + 1);
    (void)fota::cloud::parse_jobs_topic(topic);
    (void)fota::cloud::parse_shadow_topic(topic);
    fota::cloud::TopicAccessRequest request;
    request.client_id = client;
    request.topic = topic;
    request.access = static_cast<fota::cloud::TopicAccess>(data[0] % 4);
    request.qos = (data[0] >> 2) % 3;
    request.retain = (data[0] & 0x10U) != 0;
    request.payload_size = static_cast<std::size_t>(data[0]) << 10U;
    (void)fota::cloud::is_topic_access_allowed(request);
    return 0;
}
