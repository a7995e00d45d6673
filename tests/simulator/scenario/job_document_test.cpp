#include "scenario/job_document.hpp"
#include "scenario/scenario_parser.hpp"

#include <catch2/catch.hpp>

using namespace fota::sim;

namespace {

Firmware image() {
    Firmware firmware;
    firmware.id = "v2";
    firmware.version = "2.0.0";
    firmware.size = 204800;
    return firmware;
}

PublishedFirmware published() {
    return {"http",
            "127.0.0.1:40123",
            "fota/v2.bin",
            "http://127.0.0.1:40123/fota/v2.bin",
            "https://s3.us-east-1.amazonaws.com/fota/v2.bin",
            "ab12"};
}

} // namespace

TEST_CASE("host_path without a protocol takes the published one's (https on stack aws)",
          "[scenario_format][job_document]") {
    CreateJobStep job;
    job.job_id = "j";
    job.document_template = DocumentTemplate::host_path;
    CHECK(build_job_document(job, image(), published())["location"]["protocol"] == "http");
    PublishedFirmware on_s3 = published();
    on_s3.protocol = "https";
    CHECK(build_job_document(job, image(), on_s3)["location"]["protocol"] == "https");
    job.protocol = "http"; // the step's own wins
    CHECK(build_job_document(job, image(), on_s3)["location"]["protocol"] == "http");
}

TEST_CASE("templates give the documented job document forms", "[scenario_format][job_document]") {
    CreateJobStep job;
    job.job_id = "j";
    job.document_template = DocumentTemplate::host_path;
    job.protocol = "https";
    CHECK(build_job_document(job, image(), published()) ==
          nlohmann::json::parse(R"({"operation":"app_fw_update","fwversion":"2.0.0","size":204800,
              "location":{"protocol":"https","host":"127.0.0.1:40123","path":"fota/v2.bin"}})"));
    job.document_template = DocumentTemplate::url;
    CHECK(build_job_document(job, image(), published())["location"] ==
          nlohmann::json{{"url", "http://127.0.0.1:40123/fota/v2.bin"}});
    job.document_template = DocumentTemplate::presigned_url;
    CHECK(build_job_document(job, image(), published())["location"]["url"] ==
          "${aws:iot:s3-presigned-url:https://s3.us-east-1.amazonaws.com/fota/v2.bin}");
}

TEST_CASE("placeholders of an explicit document are replaced", "[scenario_format][job_document]") {
    CreateJobStep job;
    job.document = nlohmann::json::parse(R"({
        "operation": "app_fw_update", "size": "${firmware.size}", "label": "v${firmware.version}!",
        "sha256": "${firmware.sha256}",
        "location": {"url": "${aws:iot:s3-presigned-url:${firmware.s3_url}}",
                     "parts": ["${firmware.protocol}://${firmware.host}/${firmware.path}", 7,
                               "${firmware.url}#x", "${firmware.unknown}", "${firmware."]}})");
    const auto document = build_job_document(job, image(), published());
    CHECK(document["size"] == 204800); // a number, not a string
    CHECK(document["label"] == "v2.0.0!");
    CHECK(document["sha256"] == "ab12");
    CHECK(document["location"]["url"] ==
          "${aws:iot:s3-presigned-url:https://s3.us-east-1.amazonaws.com/fota/v2.bin}");
    CHECK(document["location"]["parts"] ==
          nlohmann::json::parse(R"(["http://127.0.0.1:40123/fota/v2.bin", 7,
              "http://127.0.0.1:40123/fota/v2.bin#x", "${firmware.unknown}", "${firmware."])"));
    CHECK(unknown_firmware_placeholders(*job.document) == std::vector<std::string>{"unknown", ""});
}

TEST_CASE("every placeholder used by the library is known", "[scenario_format][job_document]") {
    for (const char* file : {"/fb-05-download-start-failure-reported.yaml",
                             "/fb-26-documented-known-issues.yaml", "/fb-09-url-forms.yaml"}) {
        const auto result = parse_scenario_file(std::string(FOTA_SCENARIO_DIR) + file);
        REQUIRE(result.ok());
        bool explicit_document = false;
        for (const auto& step : result.scenario->steps) {
            if (const auto* job = std::get_if<CreateJobStep>(&step.action); job && job->document) {
                explicit_document = true;
                CHECK(unknown_firmware_placeholders(*job->document).empty());
                const auto* firmware = result.scenario->find_firmware(job->firmware);
                REQUIRE(firmware != nullptr);
                const auto text = build_job_document(*job, *firmware, published()).dump();
                CHECK(text.find("${firmware.") == std::string::npos);
            }
        }
        CHECK(explicit_document);
    }
}
