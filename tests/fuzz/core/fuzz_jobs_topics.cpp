// Jobs topic parsing: never crashes, and every recognised topic (the three the agent acts on)
// rebuilds to itself.
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
    switch (parsed.kind) {
    case JobsTopicKind::UpdateReply:
        if (build_job_topic(buffer, thing, parsed.job_id,
                            parsed.accepted ? JobTopic::UpdateAccepted : JobTopic::UpdateRejected,
                            built) != TopicStatus::Ok ||
            built != topic) {
            std::abort();
        }
        break;
    case JobsTopicKind::DescribeReply: {
        // <job>/get, then the reply level.
        if (build_job_topic(buffer, thing, parsed.job_id, JobTopic::Get, built) !=
                TopicStatus::Ok ||
            topic.substr(0, built.size()) != built ||
            topic.substr(built.size()) != (parsed.accepted ? "/accepted" : "/rejected")) {
            std::abort();
        }
        break;
    }
    case JobsTopicKind::NotifyNext:
        if (build_thing_topic(buffer, thing, ThingTopic::NotifyNext, built) != TopicStatus::Ok ||
            built != topic) {
            std::abort();
        }
        break;
    case JobsTopicKind::NotJobs:
        break;
    }
    return 0;
}
