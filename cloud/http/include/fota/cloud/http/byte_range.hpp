// The Range header as S3 interprets it for GetObject: one byte range, or none.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace fota::cloud::http {

enum class RangeOutcome {
    whole,         ///< no usable Range (absent, not "bytes=", several ranges, bad syntax): 200
    partial,       ///< a satisfiable range: 206 with Content-Range
    unsatisfiable, ///< starts at or past the end (or a zero suffix): 416
};

struct ByteRangeResult {
    RangeOutcome outcome = RangeOutcome::whole;
    std::uint64_t first = 0; ///< inclusive, when partial
    std::uint64_t last = 0;  ///< inclusive, when partial (clamped to size - 1)
};

/// Resolves a Range header value against an object of object_size bytes:
/// "bytes=a-b" (b clamped to the end), "bytes=a-", "bytes=-n" (the last n bytes). Like S3, a
/// value it cannot use is ignored (whole object) rather than an error. Never throws.
ByteRangeResult resolve_range(std::string_view header_value, std::uint64_t object_size);

/// "bytes first-last/size".
std::string content_range_value(std::uint64_t first, std::uint64_t last, std::uint64_t size);

} // namespace fota::cloud::http
