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

// Splits topic on '/' into at most levels.size() levels; returns the count, or 0 if there are
// more levels than that.
std::size_t split_levels(std::string_view topic, std::span<std::string_view> levels) {
    std::size_t count = 0;
    std::size_t start = 0;
    while (true) {
        const std::size_t slash = topic.find('/', start);
        if (count == levels.size()) {
            return 0;
        }
        if (slash == std::string_view::npos) {
            levels[count++] = slice(topic, start);
            return count;
        }
        levels[count++] = slice(topic, start, slash - start);
        start = slash + 1;
    }
}

bool reply_kind(std::string_view level, bool& accepted) {
    if (level == "accepted"sv) {
        accepted = true;
        return true;
    }
    if (level == "rejected"sv) {
        accepted = false;
        return true;
    }
    return false;
}

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
    std::array<std::string_view, 8> levels{};
    const std::size_t count = split_levels(topic, levels);
    // $aws / things / T / jobs / ...: 5 to 7 levels.
    if (count < 5 || count > 7 || levels[0] != "$aws"sv || levels[1] != "things"sv ||
        levels[2] != thing_name || levels[3] != "jobs"sv || !is_valid_thing_name(thing_name)) {
        return result;
    }
    const std::string_view first = levels[4];
    if (count == 5) {
        if (first == "notify-next"sv) {
            result.kind = JobsTopicKind::NotifyNext;
        } else if (first == "notify"sv) {
            result.kind = JobsTopicKind::Notify;
        } else if (first == "get"sv) {
            result.kind = JobsTopicKind::GetPending;
        } else if (first == "start-next"sv) {
            result.kind = JobsTopicKind::StartNext;
        }
        return result;
    }
    const std::string_view second = levels[5];
    if (count == 6) {
        // jobs/get/accepted and jobs/start-next/accepted are replies; jobs/<J>/get and
        // jobs/<J>/update are requests for job J (which may itself be "get").
        bool accepted = false;
        if ((first == "get"sv || first == "start-next"sv) && reply_kind(second, accepted)) {
            result.kind =
                first == "get"sv ? JobsTopicKind::GetPendingReply : JobsTopicKind::StartNextReply;
            result.accepted = accepted;
            return result;
        }
        if (second == "get"sv && is_valid_job_id(first, true)) {
            result.kind = JobsTopicKind::Describe;
            result.job_id = first;
        } else if (second == "update"sv && is_valid_job_id(first, false)) {
            result.kind = JobsTopicKind::Update;
            result.job_id = first;
        }
        return result;
    }
    bool accepted = false;
    if (!reply_kind(levels[6], accepted)) {
        return result;
    }
    if (second == "get"sv && is_valid_job_id(first, true)) {
        result.kind = JobsTopicKind::DescribeReply;
    } else if (second == "update"sv && is_valid_job_id(first, false)) {
        result.kind = JobsTopicKind::UpdateReply;
    } else {
        return result;
    }
    result.job_id = first;
    result.accepted = accepted;
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
