#include "fota/cloud/http/byte_range.hpp"

#include <optional>

namespace fota::cloud::http {

namespace {

// Parses a run of decimal digits; nullopt when empty, not all digits, or over 2^63.
std::optional<std::uint64_t> parse_number(std::string_view s) {
    if (s.empty() || s.size() > 18) {
        return std::nullopt;
    }
    std::uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return v;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

} // namespace

ByteRangeResult resolve_range(std::string_view header_value, std::uint64_t object_size) {
    ByteRangeResult whole{};
    std::string_view v = trim(header_value);
    constexpr std::string_view unit = "bytes=";
    if (v.size() < unit.size() || v.substr(0, unit.size()) != unit) {
        return whole;
    }
    v = trim(v.substr(unit.size()));
    if (v.find(',') != std::string_view::npos) {
        return whole;
    }
    const auto dash = v.find('-');
    if (dash == std::string_view::npos) {
        return whole;
    }
    const std::string_view first_text = trim(v.substr(0, dash));
    const std::string_view last_text = trim(v.substr(dash + 1));
    if (first_text.empty()) {
        const auto suffix = parse_number(last_text);
        if (!suffix) {
            return whole;
        }
        if (*suffix == 0 || object_size == 0) {
            return {RangeOutcome::unsatisfiable, 0, 0};
        }
        const std::uint64_t n = *suffix > object_size ? object_size : *suffix;
        return {RangeOutcome::partial, object_size - n, object_size - 1};
    }
    const auto first = parse_number(first_text);
    if (!first) {
        return whole;
    }
    std::uint64_t last = 0;
    if (last_text.empty()) {
        last = object_size == 0 ? 0 : object_size - 1;
    } else {
        const auto parsed_last = parse_number(last_text);
        if (!parsed_last || *parsed_last < *first) {
            return whole;
        }
        last = *parsed_last;
    }
    if (*first >= object_size) {
        return {RangeOutcome::unsatisfiable, 0, 0};
    }
    if (last >= object_size) {
        last = object_size - 1;
    }
    return {RangeOutcome::partial, *first, last};
}

std::string content_range_value(std::uint64_t first, std::uint64_t last, std::uint64_t size) {
    return "bytes " + std::to_string(first) + "-" + std::to_string(last) + "/" +
           std::to_string(size);
}

} // namespace fota::cloud::http
