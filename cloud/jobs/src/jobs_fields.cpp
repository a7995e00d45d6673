// Request field readers (integers, versions, statusDetails, ARNs), the control-plane errors and
// paging, shared by the Jobs files.

#include <algorithm>
#include <limits>
#include <string>

#include "fota/cloud/identifiers.hpp"
#include "jobs_state.hpp"

namespace fota::cloud::jobs_detail {

std::optional<std::int64_t> as_integer(const json& value) {
    if (value.is_number_integer() && !value.is_number_unsigned()) {
        return value.get<std::int64_t>();
    }
    if (value.is_number_unsigned()) {
        const auto v = value.get<std::uint64_t>();
        if (v <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
            return static_cast<std::int64_t>(v);
        }
    }
    return std::nullopt;
}

std::optional<std::int64_t> as_version(const json& value) {
    if (auto number = as_integer(value)) {
        return number;
    }
    if (value.is_string()) {
        const auto& text = value.get_ref<const std::string&>();
        if (text.empty() || text.size() > 18) {
            return std::nullopt;
        }
        std::int64_t result = 0;
        for (char c : text) {
            if (c < '0' || c > '9') {
                return std::nullopt;
            }
            result = result * 10 + (c - '0');
        }
        return result;
    }
    return std::nullopt;
}

std::optional<std::string> check_status_details(const json& details, std::size_t max_pairs) {
    if (!details.is_object()) {
        return "statusDetails must be an object of string values";
    }
    if (details.size() > max_pairs) {
        return "statusDetails has more than " + std::to_string(max_pairs) + " entries";
    }
    for (const auto& [key, value] : details.items()) {
        if (!is_valid_details_key(key)) {
            return "statusDetails key '" + key + "' must be 1-128 characters of [a-zA-Z0-9:_-]";
        }
        if (!value.is_string()) {
            return "statusDetails value of '" + key + "' must be a string";
        }
        if (!is_valid_details_value(value.get_ref<const std::string&>())) {
            return "statusDetails value of '" + key +
                   "' must be 1-1024 characters without control characters";
        }
    }
    return std::nullopt;
}

ControlResult invalid_request(const std::string& message) {
    return ControlResult::failure("InvalidRequestException", 400, message);
}
ControlResult not_found(const std::string& message) {
    return ControlResult::failure("ResourceNotFoundException", 404, message);
}
ControlResult invalid_transition(const std::string& message) {
    return ControlResult::failure("InvalidStateTransitionException", 409, message);
}

std::string thing_name_from_arn(const std::string& arn, std::string& kind) {
    // arn:aws:iot:<region>:<account>:thing/<name> or :thinggroup/<name>
    std::size_t colons = 0;
    std::size_t pos = 0;
    for (; pos < arn.size() && colons < 5; ++pos) {
        if (arn[pos] == ':') {
            ++colons;
        }
    }
    if (arn.rfind("arn:", 0) != 0 || colons != 5) {
        kind.clear();
        return {};
    }
    const std::string resource = arn.substr(pos);
    const std::size_t slash = resource.find('/');
    if (slash == std::string::npos) {
        kind.clear();
        return {};
    }
    kind = resource.substr(0, slash);
    return resource.substr(slash + 1);
}

std::tuple<std::size_t, std::size_t, std::string> page_bounds(std::size_t total,
                                                              const ListQuery& query) {
    std::size_t begin = 0;
    if (!query.next_token.empty()) {
        try {
            begin = static_cast<std::size_t>(std::stoull(query.next_token));
        } catch (...) {
            begin = total;
        }
    }
    begin = std::min(begin, total);
    const std::size_t size =
        query.max_results > 0 ? static_cast<std::size_t>(query.max_results) : default_page_size;
    const std::size_t end = std::min(total, begin + size);
    return {begin, end, end < total ? std::to_string(end) : std::string()};
}

} // namespace fota::cloud::jobs_detail
