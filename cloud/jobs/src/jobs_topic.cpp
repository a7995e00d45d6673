#include "fota/cloud/jobs_topic.hpp"

#include <vector>

#include "fota/cloud/identifiers.hpp"

namespace fota::cloud {
namespace {

std::vector<std::string_view> split_levels(std::string_view text) {
    std::vector<std::string_view> levels;
    std::size_t start = 0;
    while (true) {
        const std::size_t slash = text.find('/', start);
        if (slash == std::string_view::npos) {
            levels.push_back(text.substr(start));
            return levels;
        }
        levels.push_back(text.substr(start, slash - start));
        start = slash + 1;
    }
}

bool is_reply_suffix(std::string_view level) {
    return level == "accepted" || level == "rejected";
}

} // namespace

std::optional<JobsTopic> parse_jobs_topic(std::string_view topic) {
    constexpr std::string_view prefix = "$aws/things/";
    if (topic.substr(0, prefix.size()) != prefix) {
        return std::nullopt;
    }
    const auto levels = split_levels(topic.substr(prefix.size()));
    if (levels.size() < 2 || levels[1] != "jobs") {
        return std::nullopt;
    }
    JobsTopic parsed;
    parsed.thing_name = levels[0];
    const std::size_t rest = levels.size() - 2; // levels after "jobs"
    if (rest == 1) {
        if (levels[2] == "get") {
            parsed.operation = JobsOperation::get_pending;
        } else if (levels[2] == "start-next") {
            parsed.operation = JobsOperation::start_next;
        } else if (levels[2] == "notify" || levels[2] == "notify-next") {
            parsed.operation = JobsOperation::reply;
        }
        return parsed;
    }
    if (rest == 2) {
        const std::string_view job_id = levels[2];
        if ((job_id == "get" || job_id == "start-next") && is_reply_suffix(levels[3])) {
            parsed.operation = JobsOperation::reply;
        } else if (levels[3] == "get" && (job_id == "$next" || is_valid_job_id(job_id))) {
            parsed.operation = JobsOperation::describe;
            parsed.job_id = job_id;
        } else if (levels[3] == "update" && is_valid_job_id(job_id)) {
            parsed.operation = JobsOperation::update;
            parsed.job_id = job_id;
        }
        return parsed;
    }
    if (rest == 3 && (levels[3] == "get" || levels[3] == "update") && is_reply_suffix(levels[4]) &&
        (levels[2] == "$next" || is_valid_job_id(levels[2]))) {
        parsed.operation = JobsOperation::reply;
    }
    return parsed;
}

} // namespace fota::cloud
