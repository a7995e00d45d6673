#include "fota/content_range.hpp"

#include <catch2/catch.hpp>

using namespace fota;

TEST_CASE("Content-Range: valid forms", "[core][content_range]") {
    ContentRange range;
    REQUIRE(parse_content_range("bytes 0-4095/181124", range) == ContentRangeStatus::Ok);
    CHECK(range.first == 0);
    CHECK(range.last == 4095);
    CHECK(range.length_known);
    CHECK(range.length == 181124);
    CHECK_FALSE(range.unsatisfied);
    REQUIRE(parse_content_range("  BYTES 10-10/11\t", range) == ContentRangeStatus::Ok);
    CHECK(range.first == 10);
    REQUIRE(parse_content_range("bytes 0-9/*", range) == ContentRangeStatus::Ok);
    CHECK_FALSE(range.length_known);
    REQUIRE(parse_content_range("bytes */181124", range) == ContentRangeStatus::Ok);
    CHECK(range.unsatisfied);
    CHECK(range.length == 181124);
    REQUIRE(parse_content_range("bytes 0-18446744073709551614/18446744073709551615", range) ==
            ContentRangeStatus::Ok);
}

TEST_CASE("Content-Range: rejected forms", "[core][content_range]") {
    ContentRange range;
    for (const char* text :
         {"", "bytes", "bytes ", "items 0-1/2", "bytes=0-1/2", "bytes  0-1/2", "bytes 0-1",
          "bytes 0-/2", "bytes -1/2", "bytes 0_1/2", "bytes 0-1/", "bytes 0-1/2x", "bytes */*",
          "bytes +0-1/2", "bytes 0-1/2/3", "bytes 0 - 1/2", "bytes */"}) {
        INFO(text);
        CHECK(parse_content_range(text, range) == ContentRangeStatus::Syntax);
    }
    CHECK(parse_content_range("bytes 5-4/10", range) == ContentRangeStatus::Invalid);
    CHECK(parse_content_range("bytes 0-10/10", range) == ContentRangeStatus::Invalid);
    CHECK(parse_content_range("bytes 0-0/0", range) == ContentRangeStatus::Invalid);
    CHECK(parse_content_range("bytes 0-1/18446744073709551616", range) ==
          ContentRangeStatus::Overflow);
    CHECK(parse_content_range("bytes 99999999999999999999-1/2", range) ==
          ContentRangeStatus::Overflow);
}
