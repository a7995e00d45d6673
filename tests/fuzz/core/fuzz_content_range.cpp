// The Content-Range parser and the response check built on it: never crashes; an accepted range
// is consistent and inside the request.
#include "fota/content_range.hpp"
#include "fota/download_policy.hpp"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace fota;
    if (size < 8) {
        return 0;
    }
    std::uint32_t first = 0;
    std::uint32_t span = 0;
    std::memcpy(&first, data, 4);
    std::memcpy(&span, data + 4, 4);
    first %= 1u << 20;
    span = span % 65536;
    const std::string_view header(reinterpret_cast<const char*>(data + 8), size - 8);
    ContentRange range;
    if (parse_content_range(header, range) == ContentRangeStatus::Ok && !range.unsatisfied) {
        if (range.first > range.last || (range.length_known && range.last >= range.length)) {
            std::abort();
        }
    }
    const ByteRange requested{first, first + span};
    ObjectExpectation expected;
    expected.slot_size = 1u << 21;
    const ResponseCheck check = check_range_response(requested, 206, header, expected);
    if (check.verdict == Verdict::Accept &&
        (check.last < requested.first || check.last > requested.last || check.last >= check.total ||
         check.total > expected.slot_size)) {
        std::abort();
    }
    return 0;
}
