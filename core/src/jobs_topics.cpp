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

// The operation and reply levels of Jobs topics; level_name gives an index into this table
// (std::size(kLevelNames) for anything else): one loop instead of a comparison per name.
constexpr std::string_view kLevelNames[] = {"notify-next", "notify",   "get",     "start-next",
                                            "update",      "accepted", "rejected"};
enum LevelName : std::size_t { NotifyNext, Notify, Get, StartNext, Update, Accepted, Rejected };

std::size_t level_name(std::string_view level) {
    std::size_t index = 0;
    while (index < std::size(kLevelNames) && level != kLevelNames[index]) {
        ++index;
    }
    return index;
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
    const std::size_t first_name = level_name(first);
    if (count == 5) {
        static constexpr JobsTopicKind kRequests[] = {
            JobsTopicKind::NotifyNext, JobsTopicKind::Notify, JobsTopicKind::GetPending,
            JobsTopicKind::StartNext};
        if (first_name < std::size(kRequests)) {
            result.kind = kRequests[first_name];
        }
        return result;
    }
    const std::size_t second_name = level_name(levels[5]);
    // The reply level: the last one; only meaningful when it is accepted or rejected.
    const std::size_t reply_name = level_name(levels[count - 1]);
    const bool reply = reply_name == Accepted || reply_name == Rejected;
    result.accepted = reply_name == Accepted;
    if (count == 6) {
        // jobs/get/accepted and jobs/start-next/accepted are replies; jobs/<J>/get and
        // jobs/<J>/update are requests for job J (which may itself be "get").
        if ((first_name == Get || first_name == StartNext) && reply) {
            result.kind =
                first_name == Get ? JobsTopicKind::GetPendingReply : JobsTopicKind::StartNextReply;
            return result;
        }
        result.accepted = false;
        if (second_name == Get && is_valid_job_id(first, true)) {
            result.kind = JobsTopicKind::Describe;
            result.job_id = first;
        } else if (second_name == Update && is_valid_job_id(first, false)) {
            result.kind = JobsTopicKind::Update;
            result.job_id = first;
        }
        return result;
    }
    if (!reply) {
        result.accepted = false;
        return result;
    }
    if (second_name == Get && is_valid_job_id(first, true)) {
        result.kind = JobsTopicKind::DescribeReply;
    } else if (second_name == Update && is_valid_job_id(first, false)) {
        result.kind = JobsTopicKind::UpdateReply;
    } else {
        result.accepted = false;
        return result;
    }
    result.job_id = first;
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
