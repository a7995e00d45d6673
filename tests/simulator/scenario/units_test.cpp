#include "scenario/units.hpp"

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
using fota::sim::format_duration;
using fota::sim::format_size;
using fota::sim::parse_duration;
using fota::sim::parse_size;

TEST_CASE("durations read with their unit", "[scenario_format][units]") {
    CHECK(parse_duration("30s") == 30s);
    CHECK(parse_duration("250ms") == 250ms);
    CHECK(parse_duration("1.5s") == 1500ms);
    CHECK(parse_duration("1.5m") == 90s);
    CHECK(parse_duration("2h") == 2h);
    CHECK(parse_duration("0s") == 0ms);
    CHECK(parse_duration("0.0005s") == 0ms); // below a millisecond rounds down
    CHECK(parse_duration("720h") == 720h);   // the 30-day limit itself
}

TEST_CASE("durations refuse what they cannot mean", "[scenario_format][units]") {
    for (const char* text :
         {"", "30", "s", "30 s", "-1s", "+1s", "1e3s", "1.s", ".5s", "1..5s", "30sec", "30S", "1d",
          "721h", "99999999999999999999s", "1.0000000001s", "1,5s", "0x10s"}) {
        INFO(text);
        CHECK_FALSE(parse_duration(text).has_value());
    }
}

TEST_CASE("sizes read in bytes, binary and decimal units", "[scenario_format][units]") {
    CHECK(parse_size("4096") == 4096u);
    CHECK(parse_size("200KiB") == 200u * 1024);
    CHECK(parse_size("1.5MiB") == 1572864u);
    CHECK(parse_size("1GiB") == 1073741824u);
    CHECK(parse_size("500kB") == 500000u);
    CHECK(parse_size("2MB") == 2000000u);
    CHECK(parse_size("1GB") == 1000000000u);
    CHECK(parse_size("10B") == 10u);
    CHECK(parse_size("1024GiB") == (1ULL << 40)); // the limit
    CHECK(parse_size("0") == 0u);
}

TEST_CASE("sizes refuse fractions of a byte, unknown units and overflow",
          "[scenario_format][units]") {
    for (const char* text : {"", "KiB", "1.5", "0.1KiB", "1KB", "1kiB", "1 KiB", "-1", "1025GiB",
                             "18446744073709551616", "99999999999999999999GiB", "1e3", "0x10"}) {
        INFO(text);
        CHECK_FALSE(parse_size(text).has_value());
    }
}

TEST_CASE("durations and sizes print in the largest exact unit and read back",
          "[scenario_format][units]") {
    CHECK(format_duration(90s) == "90s");
    CHECK(format_duration(2min) == "2m");
    CHECK(format_duration(3h) == "3h");
    CHECK(format_duration(1500ms) == "1500ms");
    CHECK(format_duration(0ms) == "0s");
    CHECK(format_size(200ULL * 1024) == "200KiB");
    CHECK(format_size(1 << 20) == "1MiB");
    CHECK(format_size(1000) == "1000B");
    CHECK(format_size(0) == "0B");
    for (auto ms : {0LL, 1LL, 999LL, 1000LL, 61000LL, 3600000LL, 5400000LL}) {
        CHECK(parse_duration(format_duration(std::chrono::milliseconds(ms))) ==
              std::chrono::milliseconds(ms));
    }
    for (std::uint64_t bytes : {0ULL, 1ULL, 1023ULL, 1024ULL, 1536ULL, 1048576ULL, 3221225472ULL}) {
        CHECK(parse_size(format_size(bytes)) == bytes);
    }
}
