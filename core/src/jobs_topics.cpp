#include "fota/jobs_topics.hpp"
#include "fota/text.hpp"

#include "fota/json_writer.hpp"

#include <array>
#include <iterator>

namespace fota {

using namespace std::string_view_literals;
namespace {

bool is_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

constexpr std::string_view kPrefix = "$aws/things/"sv;

// The replies the agent acts on, in the order of the kinds they give (get: DescribeReply,
// update: UpdateReply) and accepted before rejected.
constexpr const char* kReplies[] = {"/get/accepted", "/get/rejected", "/update/accepted",
                                    "/update/rejected"};

} // namespace

bool is_valid_thing_name(std::string_view name) {
    if (name.empty() || name.size() > kMaxThingNameLength) {
        return false;
    }
    for (const char c : name) {
        if (!is_alnum(c) && c != ':' && c != '_' && c != '-') {
            return false;
        }
    }
    return true;
}

bool is_valid_job_id(std::string_view id, bool allow_next) {
    if (allow_next && id == "$next"sv) {
        return true;
    }
    if (id.empty() || id.size() > kMaxJobIdLength) {
        return false;
    }
    for (const char c : id) {
        if (!is_alnum(c) && c != '_' && c != '-') {
            return false;
        }
    }
    return true;
}

JobsTopic parse_jobs_topic(std::string_view topic, std::string_view thing_name) {
    JobsTopic result;
    if (!is_valid_thing_name(thing_name) || slice(topic, 0, kPrefix.size()) != kPrefix ||
        slice(topic, kPrefix.size(), thing_name.size()) != thing_name) {
        return result;
    }
    std::string_view rest = slice(topic, kPrefix.size() + thing_name.size());
    if (slice(rest, 0, 6) != "/jobs/"sv) {
        return result;
    }
    rest = slice(rest, 6);
    if (rest == "notify-next"sv) {
        result.kind = JobsTopicKind::NotifyNext;
        return result;
    }
    // <job>/<operation>/<reply>: the job ID is what is left before the suffix (it cannot
    // contain '/', which is_valid_job_id checks).
    for (std::size_t i = 0; i < std::size(kReplies); ++i) {
        const std::string_view suffix = kReplies[i];
        if (rest.ends_with(suffix)) {
            const std::string_view job_id = slice(rest, 0, rest.size() - suffix.size());
            const bool get = i < 2;
            if (is_valid_job_id(job_id, get)) {
                result.kind = get ? JobsTopicKind::DescribeReply : JobsTopicKind::UpdateReply;
                result.job_id = job_id;
                result.accepted = i % 2 == 0;
            }
            return result;
        }
    }
    return result;
}

TopicStatus build_thing_topic(std::span<char> out, std::string_view thing_name, ThingTopic which,
                              std::string_view& view) {
    view = {};
    if (!is_valid_thing_name(thing_name)) {
        return TopicStatus::InvalidThing;
    }
    TextBuilder text(out);
    text.append(kPrefix).append(thing_name);
    // Indexed by ThingTopic (a table costs less code than a switch).
    static constexpr const char* kSuffixes[] = {"/jobs/notify-next", "/jobs/notify",
                                                "/jobs/$next/get", "/jobs/$next/get/#",
                                                "/shadow/update"};
    const auto index = static_cast<std::size_t>(which);
    if (index < std::size(kSuffixes)) {
        text.append(kSuffixes[index]);
    }
    if (!text.ok()) {
        return TopicStatus::TooLong;
    }
    view = text.view();
    return TopicStatus::Ok;
}

TopicStatus build_job_topic(std::span<char> out, std::string_view thing_name,
                            std::string_view job_id, JobTopic which, std::string_view& view) {
    view = {};
    if (!is_valid_thing_name(thing_name)) {
        return TopicStatus::InvalidThing;
    }
    if (!is_valid_job_id(job_id, which == JobTopic::Get)) {
        return TopicStatus::InvalidJobId;
    }
    TextBuilder text(out);
    text.append(kPrefix).append(thing_name).append("/jobs/").append(job_id);
    // Indexed by JobTopic.
    static constexpr const char* kSuffixes[] = {"/update", "/update/accepted", "/update/rejected",
                                                "/get"};
    const auto index = static_cast<std::size_t>(which);
    if (index < std::size(kSuffixes)) {
        text.append(kSuffixes[index]);
    }
    if (!text.ok()) {
        return TopicStatus::TooLong;
    }
    view = text.view();
    return TopicStatus::Ok;
}

} // namespace fota
