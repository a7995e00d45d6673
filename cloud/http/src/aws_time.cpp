#include "fota/cloud/http/aws_time.hpp"

#include <cstdio>
#include <ctime>

namespace fota::cloud::http {

namespace {

std::tm to_utc(TimePoint t) {
    const std::time_t secs = static_cast<std::time_t>(epoch_seconds(t));
    std::tm tm{};
    gmtime_r(&secs, &tm);
    return tm;
}

std::string format(TimePoint t, const char* pattern) {
    const std::tm tm = to_utc(t);
    char buf[64];
    const std::size_t n = std::strftime(buf, sizeof buf, pattern, &tm);
    return std::string(buf, n);
}

} // namespace

WallClock system_wall_clock() {
    return [] { return std::chrono::system_clock::now(); };
}

long long epoch_seconds(TimePoint t) {
    return std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
}

std::string format_amz_date(TimePoint t) {
    return format(t, "%Y%m%dT%H%M%SZ");
}

std::string format_http_date(TimePoint t) {
    // strftime's %a/%b depend on the locale; RFC 7231 wants the English names.
    static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const std::tm tm = to_utc(t);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday % 7],
                  tm.tm_mday, months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                  tm.tm_sec);
    return buf;
}

std::string format_iso8601(TimePoint t) {
    return format(t, "%Y-%m-%dT%H:%M:%S.000Z");
}

std::optional<TimePoint> parse_amz_date(std::string_view text) {
    if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z') {
        return std::nullopt;
    }
    auto number = [&](std::size_t pos, std::size_t len) -> int {
        int v = 0;
        for (std::size_t i = pos; i < pos + len; ++i) {
            if (text[i] < '0' || text[i] > '9') {
                return -1;
            }
            v = v * 10 + (text[i] - '0');
        }
        return v;
    };
    const int year = number(0, 4);
    const int month = number(4, 2);
    const int day = number(6, 2);
    const int hour = number(9, 2);
    const int minute = number(11, 2);
    const int second = number(13, 2);
    // system_clock counts nanoseconds in 64 bits: years past 2262 would overflow.
    if (year < 1970 || year > 2200 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 ||
        hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60) {
        return std::nullopt;
    }
    std::tm tm{};
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_sec = second;
    const std::time_t secs = timegm(&tm);
    if (secs == static_cast<std::time_t>(-1)) {
        return std::nullopt;
    }
    return std::chrono::system_clock::from_time_t(secs);
}

} // namespace fota::cloud::http
