// Wall-clock time as an input, and the three date formats AWS protocols use.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace fota::cloud::http {

using TimePoint = std::chrono::system_clock::time_point;

/// Where a server reads "now" (signature expiry, Date headers). Tests inject a fixed or stepped
/// clock; the default reads the system clock.
using WallClock = std::function<TimePoint()>;

/// The system clock as a WallClock.
WallClock system_wall_clock();

/// "20130524T000000Z" (SigV4's X-Amz-Date), UTC, whole seconds.
std::string format_amz_date(TimePoint t);

/// Parses "YYYYMMDDTHHMMSSZ". Returns nullopt unless the text is exactly that form with valid
/// field ranges; never throws.
std::optional<TimePoint> parse_amz_date(std::string_view text);

/// "Fri, 24 May 2013 00:00:00 GMT" (RFC 7231 IMF-fixdate: Date, Last-Modified).
std::string format_http_date(TimePoint t);

/// "2013-05-24T00:00:00.000Z" (S3 XML timestamps).
std::string format_iso8601(TimePoint t);

/// Seconds since the epoch, rounded down.
long long epoch_seconds(TimePoint t);

} // namespace fota::cloud::http
