#include "fota/content_range.hpp"

#include "fota/text.hpp"

namespace fota {
namespace {

bool is_space(char c) {
    return c == ' ' || c == '\t';
}

// Reads one or more decimal digits at text[pos].
ContentRangeStatus read_number(std::string_view text, std::size_t& pos, std::uint64_t& number) {
    const std::size_t start = pos;
    std::uint64_t value = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
        if (!append_decimal_digit(value, text[pos])) {
            return ContentRangeStatus::Overflow;
        }
        ++pos;
    }
    if (pos == start) {
        return ContentRangeStatus::Syntax;
    }
    number = value;
    return ContentRangeStatus::Ok;
}

} // namespace

ContentRangeStatus parse_content_range(std::string_view value, ContentRange& range) {
    range = ContentRange{};
    while (!value.empty() && is_space(value.front())) {
        value.remove_prefix(1);
    }
    while (!value.empty() && is_space(value.back())) {
        value.remove_suffix(1);
    }
    constexpr std::string_view kUnit = "bytes";
    if (value.size() < kUnit.size() + 1) {
        return ContentRangeStatus::Syntax;
    }
    for (std::size_t i = 0; i < kUnit.size(); ++i) {
        if (ascii_lower(value[i]) != kUnit[i]) {
            return ContentRangeStatus::Syntax;
        }
    }
    std::size_t pos = kUnit.size();
    if (value[pos] != ' ') {
        return ContentRangeStatus::Syntax;
    }
    ++pos;
    ContentRangeStatus status = ContentRangeStatus::Ok;
    if (pos < value.size() && value[pos] == '*') {
        ++pos;
        if (pos >= value.size() || value[pos] != '/') {
            return ContentRangeStatus::Syntax;
        }
        ++pos;
        status = read_number(value, pos, range.length);
        if (status != ContentRangeStatus::Ok) {
            return status;
        }
        if (pos != value.size()) {
            return ContentRangeStatus::Syntax;
        }
        range.unsatisfied = true;
        range.length_known = true;
        return ContentRangeStatus::Ok;
    }
    status = read_number(value, pos, range.first);
    if (status != ContentRangeStatus::Ok) {
        return status;
    }
    if (pos >= value.size() || value[pos] != '-') {
        return ContentRangeStatus::Syntax;
    }
    ++pos;
    status = read_number(value, pos, range.last);
    if (status != ContentRangeStatus::Ok) {
        return status;
    }
    if (pos >= value.size() || value[pos] != '/') {
        return ContentRangeStatus::Syntax;
    }
    ++pos;
    if (pos < value.size() && value[pos] == '*') {
        ++pos;
        range.length_known = false;
    } else {
        status = read_number(value, pos, range.length);
        if (status != ContentRangeStatus::Ok) {
            return status;
        }
        range.length_known = true;
    }
    if (pos != value.size()) {
        return ContentRangeStatus::Syntax;
    }
    if (range.first > range.last || (range.length_known && range.last >= range.length)) {
        return ContentRangeStatus::Invalid;
    }
    return ContentRangeStatus::Ok;
}

} // namespace fota
