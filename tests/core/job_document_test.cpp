#include "fota/image_version.hpp"
#include "fota/job_document.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace fota;

namespace {

std::string envelope(const std::string& document, const std::string& job = "job1") {
    return R"({"timestamp":1559808907,"execution":{"jobId":")" + job +
           R"(","status":"QUEUED","queuedAt":1559808906,"lastUpdatedAt":1559808906,)"
           R"("versionNumber":3,"executionNumber":1,"jobDocument":)" +
           document + "}}";
}

JobParseResult parse(const std::string& payload, JobDocument& doc,
                     JobDocumentOptions options = {}) {
    return parse_job_execution(payload, options, doc);
}

} // namespace

TEST_CASE("job document: host/path/protocol form (the documented one)", "[core][job_document]") {
    StandaloneJobDocument doc;
    REQUIRE(parse(envelope(R"({"operation":"app_fw_update","fwversion":"v1.0.2","size":181124,)"
                           R"("location":{"protocol":"https","host":"b.s3.amazonaws.com",)"
                           R"("path":"app_update.bin"}})"),
                  doc) == JobParseResult::Job);
    CHECK(doc.job_id_view() == "job1");
    CHECK(doc.has_version_number);
    CHECK(doc.version_number == 3);
    CHECK(doc.status == ExecutionStatus::Queued);
    CHECK(doc.url_view() == "https://b.s3.amazonaws.com/app_update.bin");
    CHECK(doc.https);
    CHECK(doc.has_size);
    CHECK(doc.size == 181124);
    CHECK(doc.has_fwversion);
    CHECK(doc.fwversion == ImageVersion{1, 0, 2, 0});
    CHECK_FALSE(doc.has_sha256);
}

TEST_CASE("job document: quirks of the host/path form", "[core][job_document]") {
    StandaloneJobDocument doc;
    // NCS's own vector keeps a leading '/' (GET //update.bin); we send exactly one.
    REQUIRE(parse(envelope(R"({"operation":"app_fw_update","location":{"protocol":"http:",)"
                           R"("host":"h.example.com:8080","path":"//update.bin?a=1"}})"),
                  doc) == JobParseResult::Job);
    CHECK(doc.url_view() == "http://h.example.com:8080/update.bin?a=1");
    CHECK_FALSE(doc.https);
    CHECK_FALSE(doc.has_size);
    CHECK_FALSE(doc.has_fwversion);
    REQUIRE(parse(envelope(R"({"operation":"app_fw_update","location":{"protocol":"HTTPS",)"
                           R"("host":"h","path":"a.bin"}})"),
                  doc) == JobParseResult::Job);
    CHECK(doc.https);
}

TEST_CASE("job document: single url form keeps the port, drops the fragment",
          "[core][job_document]") {
    StandaloneJobDocument doc;
    REQUIRE(
        parse(envelope(
                  R"({"operation":"app_fw_update","fwversion":"1.2.3+4","size":10,)"
                  R"("sha256":"ffa2d4bcdc8a3ae5f4f4549ae2e3602645c98e89f69f358a8de8d8579e4b666E",)"
                  R"("location":{"url":"https://h:8443/p/x.bin?X-Amz-Signature=ab#frag"}})"),
              doc) == JobParseResult::Job);
    CHECK(doc.url_view() == "https://h:8443/p/x.bin?X-Amz-Signature=ab");
    CHECK(doc.fwversion == ImageVersion{1, 2, 3, 4});
    CHECK(doc.has_sha256);
    CHECK(doc.sha256[0] == 0xff);
    CHECK(doc.sha256[31] == 0x6e);
    // The url wins over host/path.
    REQUIRE(parse(envelope(R"({"operation":"app_fw_update","location":{"url":"http://a/b",)"
                           R"("protocol":"https","host":"c","path":"d"}})"),
                  doc) == JobParseResult::Job);
    CHECK(doc.url_view() == "http://a/b");
    REQUIRE(parse(envelope(R"({"operation":"app_fw_update","location":{"url":"http://a?q"}})"),
                  doc) == JobParseResult::Job);
    CHECK(doc.url_view() == "http://a/?q");
}

TEST_CASE("job document: no execution means nothing pending", "[core][job_document]") {
    StandaloneJobDocument doc;
    CHECK(parse(R"({"timestamp":1517189551})", doc) == JobParseResult::NoJob);
    CHECK(parse(R"({"clientToken":"","timestamp":1})", doc) == JobParseResult::NoJob);
}

TEST_CASE("job document: no usable job ID is InvalidEnvelope", "[core][job_document]") {
    StandaloneJobDocument doc;
    for (const std::string& payload :
         {std::string("not json"), std::string("[1]"), std::string(R"({"execution":5})"),
          std::string(R"({"execution":{"versionNumber":1}})"),
          std::string(R"({"execution":{"jobId":7}})"),
          std::string(R"({"execution":{"jobId":"bad id"}})"),
          std::string(R"({"execution":{"jobId":""}})"),
          R"({"execution":{"jobId":")" + std::string(kMaxJobIdLength + 1, 'a') + R"("}})"}) {
        INFO(payload);
        CHECK(parse(payload, doc) == JobParseResult::InvalidEnvelope);
        CHECK_FALSE(doc.reason_view().empty());
        CHECK(doc.job_id_view().empty());
    }
}

TEST_CASE("job document: unusable documents with a job ID are InvalidDocument with a reason",
          "[core][job_document]") {
    struct Case {
        std::string document;
        std::string reason_part;
    };
    const std::string too_long_url = "https://h/" + std::string(kMaxUrlLength, 'p');
    const Case cases[] = {
        {R"("text")", "jobDocument_invalid"},
        {R"({"operation":"app_fw_update"})", "location_invalid"},
        {R"({"operation":"app_fw_update","location":{"host":"h","path":"p"}})",
         "location_incomplete"},
        {R"({"operation":"reboot","location":{"url":"http://h/p"}})", "operation_unsupported"},
        {R"({"location":{"url":"http://h/p"}})", "operation_unsupported"},
        {R"({"operation":"app_fw_update","location":{"url":"ftp://h/p"}})",
         "url_scheme_unsupported"},
        {R"({"operation":"app_fw_update","location":{"url":"https:/h/p"}})",
         "url_scheme_unsupported"},
        {R"({"operation":"app_fw_update","location":{"url":"https://u@h/p"}})", "url_user_info"},
        {R"({"operation":"app_fw_update","location":{"url":"https:///p"}})", "url_host_length"},
        {R"({"operation":"app_fw_update","location":{"url":"https://h:0/p"}})", "url_port_invalid"},
        {R"({"operation":"app_fw_update","location":{"url":"https://h:99999/p"}})",
         "url_port_invalid"},
        {R"({"operation":"app_fw_update","location":{"url":"https://h/a b"}})", "url_path_space"},
        {R"({"operation":"app_fw_update","location":{"url":")" + too_long_url + R"("}})",
         "url_too_long"},
        {R"({"operation":"app_fw_update","location":{"protocol":"ftp","host":"h","path":"p"}})",
         "protocol_unsupported ftp"},
        {R"({"operation":"app_fw_update","location":{"protocol":"https","host":"h",)"
         R"("path":"s0 s1"}})",
         "url_path_space"},
        // The host/path form is assembled into a URL: what a URL would read differently is
        // refused first.
        {R"({"operation":"app_fw_update","location":{"protocol":"https","host":"h/x",)"
         R"("path":"p"}})",
         "url_host_char"},
        {R"({"operation":"app_fw_update","location":{"protocol":"https","host":"u@h",)"
         R"("path":"p"}})",
         "url_host_char"},
        {R"({"operation":"app_fw_update","location":{"protocol":"https","host":"h",)"
         R"("path":"p#f"}})",
         "url_path_char"},
        {R"({"operation":"app_fw_update","location":{"protocol":"https","host":"h",)"
         R"("path":")" +
             std::string(kMaxUrlLength, 'p') + R"("}})",
         "url_too_long"},
        {R"({"operation":"app_fw_update","size":0,"location":{"url":"http://h/p"}})",
         "size_invalid"},
        {R"({"operation":"app_fw_update","size":"1","location":{"url":"http://h/p"}})",
         "size_invalid"},
        {R"({"operation":"app_fw_update","size":99999999,"location":{"url":"http://h/p"}})",
         "image_too_large 99999999"},
        {R"({"operation":"app_fw_update","fwversion":"latest","location":{"url":"http://h/p"}})",
         "fwversion_invalid"},
        {R"({"operation":"app_fw_update","sha256":"abc","location":{"url":"http://h/p"}})",
         "sha256_invalid"},
        {R"({"operation":"app_fw_update","size":1,"size":2,"location":{"url":"http://h/p"}})",
         "size duplicate_key"},
        {R"({"operation":"app_fw_update","location":{"url":"http://h/p","url":"http://h/q"}})",
         "location.url duplicate_key"},
    };
    for (const Case& c : cases) {
        StandaloneJobDocument doc;
        INFO(c.document);
        CHECK(parse(envelope(c.document), doc) == JobParseResult::InvalidDocument);
        CHECK(doc.job_id_view() == "job1");
        CHECK(doc.reason_view().find(c.reason_part) != std::string_view::npos);
        INFO(std::string(doc.reason_view()));
    }
}

TEST_CASE("job document: a reason is a token, then a space and the detail if there is one",
          "[core][job_document]") {
    StandaloneJobDocument doc;
    REQUIRE(parse(envelope(R"({"location":{"url":"http://h/p"}})"), doc) ==
            JobParseResult::InvalidDocument);
    CHECK(doc.reason_view() == "operation_unsupported");
    REQUIRE(parse(envelope(R"({"operation":"x","location":{"url":"http://h/p"}})"), doc) ==
            JobParseResult::InvalidDocument);
    CHECK(doc.reason_view() == "operation_unsupported x");
    CHECK(parse("{", doc) == JobParseResult::InvalidEnvelope);
    CHECK(doc.reason_view() == "job_document syntax_error");
}

TEST_CASE("job document: the slot size bounds the image", "[core][job_document]") {
    StandaloneJobDocument doc;
    JobDocumentOptions options;
    options.max_image_size = 1000;
    CHECK(parse(envelope(
                    R"({"operation":"app_fw_update","size":1000,"location":{"url":"http://h/p"}})"),
                doc, options) == JobParseResult::Job);
    CHECK(parse(envelope(
                    R"({"operation":"app_fw_update","size":1001,"location":{"url":"http://h/p"}})"),
                doc, options) == JobParseResult::InvalidDocument);
    options.required_operation = "";
    CHECK(parse(envelope(R"({"location":{"url":"http://h/p"}})"), doc, options) ==
          JobParseResult::Job);
}

TEST_CASE("job document: versionNumber must be a 32-bit count", "[core][job_document]") {
    StandaloneJobDocument doc;
    CHECK(parse(R"({"execution":{"jobId":"j","versionNumber":"1","jobDocument":{}}})", doc) ==
          JobParseResult::InvalidDocument);
    CHECK(doc.job_id_view() == "j");
    CHECK(parse(R"({"execution":{"jobId":"j","versionNumber":4294967296,"jobDocument":{}}})",
                doc) == JobParseResult::InvalidDocument);
}

TEST_CASE("job document: beyond kMaxJobPayloadSize is refused with the job ID kept",
          "[core][job_document]") {
    const std::string padding(kMaxJobPayloadSize, ' ');
    const std::string at_limit_doc =
        R"({"operation":"app_fw_update","location":{"url":"http://h/p"}})";
    std::string payload = envelope(at_limit_doc);
    payload += std::string(kMaxJobPayloadSize - payload.size(), ' ');
    StandaloneJobDocument doc;
    CHECK(payload.size() == kMaxJobPayloadSize);
    CHECK(parse(payload, doc) == JobParseResult::Job);
    payload += ' ';
    CHECK(parse(payload, doc) == JobParseResult::InvalidDocument);
    CHECK(doc.job_id_view() == "job1");
    CHECK(doc.version_number == 3);
    CHECK(doc.reason_view().find("job_document_too_large ") == 0);
}

TEST_CASE("job document: without a URL buffer the location is not examined",
          "[core][job_document]") {
    // The agent's way of reading the document of a job while another is in hand: the job ID,
    // status and versionNumber count, the URL in hand is never overwritten.
    JobDocument doc;
    REQUIRE(doc.url.empty());
    CHECK(parse(envelope(R"({"operation":"app_fw_update","location":{"url":"ftp://h/p"}})"), doc) ==
          JobParseResult::Job);
    CHECK(doc.job_id_view() == "job1");
    CHECK(doc.version_number == 3);
    CHECK(doc.url_length == 0);
    CHECK(parse(envelope(R"({"operation":"reboot","location":{"url":"http://h/p"}})"), doc) ==
          JobParseResult::InvalidDocument);
    CHECK(parse(envelope(R"({"operation":"app_fw_update"})"), doc) ==
          JobParseResult::InvalidDocument);
}

TEST_CASE("execution statuses", "[core][job_document]") {
    CHECK(parse_execution_status("IN_PROGRESS") == ExecutionStatus::InProgress);
    CHECK(parse_execution_status("in_progress") == ExecutionStatus::Unknown);
    CHECK(execution_status_text(ExecutionStatus::Canceled) == "CANCELED");
    CHECK(is_terminal(ExecutionStatus::Succeeded));
    CHECK(is_terminal(ExecutionStatus::Removed));
    CHECK_FALSE(is_terminal(ExecutionStatus::Queued));
    CHECK_FALSE(is_terminal(ExecutionStatus::Unknown));
}

TEST_CASE("image versions", "[core][job_document]") {
    ImageVersion v;
    CHECK(parse_image_version("v255.255.65535+4294967295", v));
    CHECK(v == ImageVersion{255, 255, 65535, 4294967295u});
    CHECK_FALSE(parse_image_version("v256.0.0", v));
    CHECK_FALSE(parse_image_version("1.0", v));
    CHECK_FALSE(parse_image_version("1.0.0-rc1", v));
    CHECK_FALSE(parse_image_version("1.0.0+", v));
    CHECK_FALSE(parse_image_version("", v));
    CHECK_FALSE(parse_image_version("1.0.0+4294967296", v));
    CHECK_FALSE(parse_image_version("1.2.3.4", v));
    CHECK_FALSE(parse_image_version("1..3", v));
    CHECK_FALSE(parse_image_version("v", v));
    CHECK_FALSE(parse_image_version("1.2.3+00000000001", v)); // more than 10 digits
    CHECK(parse_image_version("1.2.3+0000000001", v));
    CHECK(parse_image_version("V1.2.3", v));
    CHECK(v == ImageVersion{1, 2, 3, 0});
    std::array<char, 32> buffer{};
    TextBuilder text(buffer);
    append_image_version(text, ImageVersion{1, 0, 0, 0});
    CHECK(text.view() == "v1.0.0");
    text.clear();
    append_image_version(text, ImageVersion{1, 2, 3, 4});
    CHECK(text.view() == "v1.2.3+4");
}

TEST_CASE("normalize_url: edge cases found by fuzzing and by reading NCS", "[core][job_document]") {
    StandaloneJobDocument doc;
    REQUIRE(normalize_url("https://h", doc)); // no path at all (a fuzzer finding: null view)
    CHECK(doc.url_view() == "https://h/");
    REQUIRE(normalize_url("HTTP://h:80", doc));
    CHECK(doc.url_view() == "http://h:80/");
    REQUIRE(normalize_url("https://h#only-fragment", doc));
    CHECK(doc.url_view() == "https://h/");
    REQUIRE(normalize_url("https://h///a//b", doc));
    CHECK(doc.url_view() == "https://h/a//b");
    REQUIRE(normalize_url("http:://h/p", doc)); // "http:" as a scheme, as in the protocol field
    CHECK(doc.url_view() == "http://h/p");
    CHECK_FALSE(normalize_url("h:ttp://h/p", doc));
    CHECK_FALSE(normalize_url("https:/", doc));
    CHECK_FALSE(normalize_url("https://", doc));
    CHECK_FALSE(normalize_url("://h/x", doc));
    CHECK_FALSE(normalize_url("https://h/\x01", doc));
    // The longest URL that fits, and one past it.
    const std::string prefix = "https://h/";
    const std::string longest = prefix + std::string(kMaxUrlLength - prefix.size(), 'a');
    REQUIRE(normalize_url(longest, doc));
    CHECK(doc.url_length == kMaxUrlLength);
    CHECK_FALSE(normalize_url(longest + "a", doc));
    CHECK(doc.reason_view().find("url_too_long ") == 0);
    // A URL that only becomes too long once the '/' is added.
    const std::string query = "https://h?" + std::string(kMaxUrlLength - 10, 'q');
    CHECK_FALSE(normalize_url(query, doc));
    // Normalising doc.url in place.
    REQUIRE(normalize_url("https://h//x", doc));
    REQUIRE(normalize_url(doc.url_view(), doc));
    CHECK(doc.url_view() == "https://h/x");
}
