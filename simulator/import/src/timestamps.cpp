// AWS timestamps as Unix milliseconds, and back to text for the scenario's comments.
#include "timestamps.hpp"

#include "fota/sim/import.hpp"

#include <cmath>
#include <cstdio>

namespace fota::sim::importer {
namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (month 1..12).
std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day) {
    year -= month <= 2 ? 1 : 0;
    const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
    const auto year_of_era = static_cast<unsigned>(year - era * 400);
    const unsigned day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    const unsigned day_of_era =
        year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + static_cast<std::int64_t>(day_of_era) - 719468;
}

// Reads exactly `digits` decimal digits at text[at...]; advances at.
bool digits_at(std::string_view text, std::size_t& at, int digits, int& value) {
    value = 0;
    for (int i = 0; i < digits; ++i, ++at) {
        if (at >= text.size() || text[at] < '0' || text[at] > '9') {
            return false;
        }
        value = value * 10 + (text[at] - '0');
    }
    return true;
}

bool expect_char(std::string_view text, std::size_t& at, char c) {
    if (at < text.size() && text[at] == c) {
        ++at;
        return true;
    }
    return false;
}

} // namespace

std::optional<std::int64_t> parse_timestamp(std::string_view text) {
    std::size_t at = 0;
    int year = 0;
    int month = 0;
    int day = 0;
    int hour = 0;
    int minute = 0;
    int second = 0;
    if (!digits_at(text, at, 4, year) || !expect_char(text, at, '-') ||
        !digits_at(text, at, 2, month) || !expect_char(text, at, '-') ||
        !digits_at(text, at, 2, day)) {
        return std::nullopt;
    }
    if (!expect_char(text, at, ' ') && !expect_char(text, at, 'T')) {
        return std::nullopt;
    }
    if (!digits_at(text, at, 2, hour) || !expect_char(text, at, ':') ||
        !digits_at(text, at, 2, minute) || !expect_char(text, at, ':') ||
        !digits_at(text, at, 2, second)) {
        return std::nullopt;
    }
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
        return std::nullopt;
    }
    std::int64_t millis = 0;
    if (expect_char(text, at, '.')) {
        int scale = 100;
        std::size_t fraction_digits = 0;
        while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
            millis += static_cast<std::int64_t>(text[at] - '0') * scale;
            scale /= 10;
            ++at;
            if (++fraction_digits > 9) {
                return std::nullopt;
            }
        }
        if (fraction_digits == 0) {
            return std::nullopt;
        }
    }
    std::int64_t offset_minutes = 0;
    if (at < text.size()) {
        if (text[at] == 'Z') {
            ++at;
        } else if (text[at] == '+' || text[at] == '-') {
            const int sign = text[at] == '-' ? -1 : 1;
            ++at;
            int zone_hours = 0;
            int zone_minutes = 0;
            if (!digits_at(text, at, 2, zone_hours)) {
                return std::nullopt;
            }
            expect_char(text, at, ':');
            if (!digits_at(text, at, 2, zone_minutes) || zone_hours > 23 || zone_minutes > 59) {
                return std::nullopt;
            }
            offset_minutes = std::int64_t{sign} * (std::int64_t{zone_hours} * 60 + zone_minutes);
        }
    }
    if (at != text.size()) {
        return std::nullopt;
    }
    const std::int64_t days =
        days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
    const std::int64_t seconds =
        days * 86400 + std::int64_t{hour} * 3600 + std::int64_t{minute} * 60 + second;
    return (seconds - offset_minutes * 60) * 1000 + millis;
}

namespace detail {

std::string format_time(std::int64_t unix_ms) {
    const std::int64_t seconds = unix_ms >= 0 ? unix_ms / 1000 : (unix_ms - 999) / 1000;
    const std::int64_t millis = unix_ms - seconds * 1000;
    std::int64_t days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400;
    const std::int64_t in_day = seconds - days * 86400;
    // civil_from_days
    days += 719468;
    const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    const auto day_of_era = static_cast<unsigned>(days - era * 146097);
    const unsigned year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    const unsigned day_of_year =
        day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    const unsigned mp = (5 * day_of_year + 2) / 153;
    const unsigned day = day_of_year - (153 * mp + 2) / 5 + 1;
    const unsigned month = mp < 10 ? mp + 3 : mp - 9;
    const std::int64_t year =
        static_cast<std::int64_t>(year_of_era) + era * 400 + (month <= 2 ? 1 : 0);
    char buffer[160];
    std::snprintf(buffer, sizeof buffer, "%04lld-%02u-%02u %02lld:%02lld:%02lld.%03lld",
                  static_cast<long long>(year), month, day, static_cast<long long>(in_day / 3600),
                  static_cast<long long>(in_day / 60 % 60), static_cast<long long>(in_day % 60),
                  static_cast<long long>(millis));
    return buffer;
}

std::string format_duration(std::int64_t ms) {
    if (ms % 1000 == 0) {
        return std::to_string(ms / 1000) + "s";
    }
    return std::to_string(ms) + "ms";
}

std::optional<std::int64_t> epoch_or_text_ms(const nlohmann::json& value) {
    if (value.is_number()) {
        const double seconds = value.get<double>();
        if (!(seconds >= 0 && seconds < 1e11)) { // also rejects NaN
            return std::nullopt;
        }
        return std::llround(seconds * 1000);
    }
    if (value.is_string()) {
        return parse_timestamp(value.get_ref<const std::string&>());
    }
    return std::nullopt;
}

} // namespace detail
} // namespace fota::sim::importer
