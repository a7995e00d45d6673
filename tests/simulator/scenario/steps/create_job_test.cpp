// Step create_job: its fields, its document, and its errors.
#include "scenario/scenario_parser.hpp"

#include "../fake_run.hpp"
#include "../parse_test_support.hpp"

#include <catch2/catch.hpp>

using namespace fota::sim;
using namespace std::chrono_literals;
using fota::sim::test::first_error;
using fota::sim::test::with_steps;

TEST_CASE("step create_job carries its fields into the model",
          "[scenario_format][parser][create_job]") {
    const auto result = parse_scenario(
        with_steps(
            R"(  - create_job: {id: j1, firmware: v2, document_template: presigned_url, targets: [dev-2, dev-0]}
)"),
        "t.yaml");
    INFO(first_error(result));
    REQUIRE(result.ok());
    const auto& job = std::get<CreateJobStep>(result.scenario->steps[0].action);
    CHECK(job.document_template == DocumentTemplate::presigned_url);
    CHECK(job.presigned_url_expiry == std::chrono::seconds(3600)); // AWS's default
    CHECK_FALSE(job.targets.all);
    CHECK(job.targets.things == std::vector<std::string>{"dev-2", "dev-0"});
}

TEST_CASE("an explicit job document becomes JSON with YAML's types",
          "[scenario_format][parser][create_job]") {
    const auto result = parse_scenario(with_steps(R"(  - create_job:
      id: j1
      firmware: v2
      document:
        operation: app_fw_update
        size: 181124
        ratio: 2.5
        flag: true
        none: ~
        quoted: "12"
        location: {url: "${aws:iot:s3-presigned-url:${firmware.s3_url}}"}
)"),
                                       "t.yaml");
    INFO(first_error(result));
    REQUIRE(result.ok());
    const auto& job = std::get<CreateJobStep>(result.scenario->steps[0].action);
    REQUIRE(job.document.has_value());
    CHECK(*job.document ==
          nlohmann::json::parse(
              R"({"operation":"app_fw_update","size":181124,"ratio":2.5,"flag":true,
                                   "none":null,"quoted":"12",
                                   "location":{"url":"${aws:iot:s3-presigned-url:${firmware.s3_url}}"}})"));
    CHECK(job.presigned_url_expiry == std::chrono::seconds(3600));
}

TEST_CASE("step create_job refuses a job id created twice and still knows it later",
          "[scenario_format][parser][create_job]") {
    const auto result = parse_scenario(with_steps(R"(  - create_job: {id: j1, firmware: v2}
  - create_job: {id: j1, firmware: v1}
  - cancel_job: {job: j1}
)"),
                                       "t.yaml");
    REQUIRE_FALSE(result.ok());
    REQUIRE(result.errors.size() == 1);
    CHECK(result.errors[0].to_string() ==
          "t.yaml:10:22: job 'j1' is created twice; job ids are unique");
}

TEST_CASE("step create_job calls CreateJob with its document, targets and configs",
          "[scenario_format][run][create_job]") {
    test::FakeRun run(test::with_only_steps("  - create_job: {id: j1, firmware: v2, targets: "
                                            "[dev-2], rollout: {maximum_per_minute: 10}}\n"));
    REQUIRE(run.run_steps());
    REQUIRE(run.fake_stack().calls.size() == 1);
    const auto& call = run.fake_stack().calls[0];
    CHECK(call.op == "create_job");
    CHECK(call.args["jobId"] == "j1");
    const nlohmann::json& body = call.args["body"];
    CHECK(body["targets"] ==
          nlohmann::json::array({"arn:aws:iot:us-east-1:123456789012:thing/dev-2"}));
    CHECK(body["targetSelection"] == "SNAPSHOT");
    CHECK(body["jobExecutionsRolloutConfig"] == nlohmann::json{{"maximumPerMinute", 10}});
    // The document points at the firmware where it was published.
    CHECK(body["document"].get<std::string>().find("objects.test") != std::string::npos);
    CHECK(run.jobs() == std::vector<std::string>{"j1"});
}
