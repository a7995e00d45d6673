// URI, time, range and error-body helpers: each edge on its own.
#include "fota/cloud/http/aws_errors.hpp"
#include "fota/cloud/http/aws_time.hpp"
#include "fota/cloud/http/byte_range.hpp"
#include "fota/cloud/http/uri.hpp"

#include <catch2/catch.hpp>

using namespace fota::cloud::http;

TEST_CASE("uri: encode, decode, split") {
    CHECK(aws_uri_encode("a b/c~-_.*", false) == "a%20b/c~-_.%2A");
    CHECK(aws_uri_encode("a b/c", true) == "a%20b%2Fc");
    CHECK(aws_uri_encode("\xff", true) == "%FF");
    CHECK(percent_decode("a%20b+c%2f").value() == "a b+c/");
    CHECK_FALSE(percent_decode("%").has_value());
    CHECK_FALSE(percent_decode("%2").has_value());
    CHECK_FALSE(percent_decode("%g0").has_value());
    const auto parts = split_target("/a/b?x=1&y");
    CHECK(parts.path == "/a/b");
    CHECK(parts.query == "x=1&y");
    CHECK(split_target("/a").query.empty());
    const auto q = parse_query("a=1&&b=%41&c").value();
    REQUIRE(q.size() == 3);
    CHECK(q[1].name == "b");
    CHECK(q[1].value == "A");
    CHECK(q[2].value.empty());
    CHECK(find_param(q, "c").value().empty());
    CHECK_FALSE(find_param(q, "d").has_value());
    CHECK(split_path("/").value().empty());
    CHECK(split_path("/b/k%2Fx/").value() == std::vector<std::string>{"b", "k/x", ""});
    CHECK_FALSE(split_path("/b/%zz").has_value());
}

TEST_CASE("time: AWS formats") {
    const auto t = parse_amz_date("20130524T000102Z").value();
    CHECK(format_amz_date(t) == "20130524T000102Z");
    CHECK(format_http_date(t) == "Fri, 24 May 2013 00:01:02 GMT");
    CHECK(format_iso8601(t) == "2013-05-24T00:01:02.000Z");
    CHECK(epoch_seconds(t) == 1369353662);
    CHECK_FALSE(parse_amz_date("20130524T000102").has_value());
    CHECK_FALSE(parse_amz_date("2013052XT000102Z").has_value());
    CHECK_FALSE(parse_amz_date("20131324T000102Z").has_value());
    CHECK_FALSE(parse_amz_date("").has_value());
    // Found by fuzzing: a far-future year overflowed system_clock's nanoseconds.
    CHECK_FALSE(parse_amz_date("99991231T000000Z").has_value());
}

TEST_CASE("range: S3's interpretation") {
    auto r = resolve_range("bytes=0-9", 100);
    CHECK(r.outcome == RangeOutcome::partial);
    CHECK(r.first == 0);
    CHECK(r.last == 9);
    r = resolve_range("bytes=90-200", 100);
    CHECK(r.outcome == RangeOutcome::partial);
    CHECK(r.last == 99);
    r = resolve_range("bytes=99-", 100);
    CHECK((r.outcome == RangeOutcome::partial && r.first == 99 && r.last == 99));
    r = resolve_range("bytes=-10", 100);
    CHECK((r.outcome == RangeOutcome::partial && r.first == 90 && r.last == 99));
    r = resolve_range("bytes=-1000", 100);
    CHECK((r.outcome == RangeOutcome::partial && r.first == 0 && r.last == 99));
    CHECK(resolve_range("bytes=100-", 100).outcome == RangeOutcome::unsatisfiable);
    CHECK(resolve_range("bytes=100-200", 100).outcome == RangeOutcome::unsatisfiable);
    CHECK(resolve_range("bytes=-0", 100).outcome == RangeOutcome::unsatisfiable);
    CHECK(resolve_range("bytes=0-", 0).outcome == RangeOutcome::unsatisfiable);
    // Unusable values are ignored, as S3 does: the whole object.
    CHECK(resolve_range("", 100).outcome == RangeOutcome::whole);
    CHECK(resolve_range("items=0-1", 100).outcome == RangeOutcome::whole);
    CHECK(resolve_range("bytes=5-1", 100).outcome == RangeOutcome::whole);
    CHECK(resolve_range("bytes=0-1,5-6", 100).outcome == RangeOutcome::whole);
    CHECK(resolve_range("bytes=a-b", 100).outcome == RangeOutcome::whole);
    CHECK(resolve_range("bytes=99999999999999999999-", 100).outcome == RangeOutcome::whole);
    CHECK(content_range_value(0, 9, 100) == "bytes 0-9/100");
}

TEST_CASE("errors: S3 XML and rest-json bodies") {
    CHECK(s3_error_xml("NoSuchKey", "The specified key does not exist.", {{"Key", "a<b"}}, "R1") ==
          "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey</Code><Message>The "
          "specified key does not exist.</Message><Key>a&lt;b</Key><RequestId>R1</RequestId>"
          "<HostId>fota-sim</HostId></Error>");
    CHECK(rest_json_error_body("bad \"x\"\n") == R"({"message":"bad \"x\"\n"})");
    CHECK(json_escape(std::string(1, '\x01')) == "\\u0001");
}
