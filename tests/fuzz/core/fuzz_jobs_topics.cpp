// Jobs topic parsing by level count: never crashes, and every recognised topic rebuilds to itself.
#include "fota/jobs_topics.hpp"

#include <array>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace fota;
    const std::string_view topic(reinterpret_cast<const char*>(data), size);
    // The thing name is the 3rd level when it is valid, else a fixed one.
    std::string_view thing = "dev1";
    if (topic.rfind("$aws/things/", 0) == 0) {
        const std::string_view rest = topic.substr(12);
        const std::string_view candidate = rest.substr(0, rest.find('/'));
        if (is_valid_thing_name(candidate)) {
            thing = candidate;
        }
    }
    const JobsTopic parsed = parse_jobs_topic(topic, thing);
    std::array<char, kMaxTopicLength + 1> buffer{};
    std::string_view built;
    JobTopic which{};
    bool rebuild = true;
    switch (parsed.kind) {
    case JobsTopicKind::Update:
        which = JobTopic::Update;
        break;
    case JobsTopicKind::Describe:
        which = JobTopic::Get;
        break;
    case JobsTopicKind::UpdateReply:
        which = parsed.accepted ? JobTopic::UpdateAccepted : JobTopic::UpdateRejected;
        break;
    case JobsTopicKind::NotifyNext:
        if (build_thing_topic(buffer, thing, ThingTopic::NotifyNext, built) != TopicStatus::Ok ||
            built != topic) {
            std::abort();
        }
        rebuild = false;
        break;
    default:
        rebuild = false;
        break;
    }
    if (rebuild) {
        if (!is_valid_job_id(parsed.job_id, which == JobTopic::Get) ||
            build_job_topic(buffer, thing, parsed.job_id, which, built) != TopicStatus::Ok ||
            built != topic) {
            std::abort();
        }
    }
    return 0;
}
