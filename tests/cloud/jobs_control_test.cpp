// JobsService: the control-plane API (spec §3.5, §4, §8).

#include <catch2/catch.hpp>

#include <string>

#include "fota/cloud/jobs_service.hpp"
#include "test_support.hpp"

using namespace fota::cloud;
using fota::cloud::test::describe;
using fota::cloud::test::json;
using fota::cloud::test::on_topic;
using fota::cloud::test::only;

namespace {

constexpr std::int64_t t0 = 1700000000;

std::string arn(const std::string& thing) {
    return "arn:aws:iot:us-east-1:123456789012:thing/" + thing;
}

json job_body(const std::vector<std::string>& things, json extra = json::object()) {
    json targets = json::array();
    for (const auto& t : things) {
        targets.push_back(arn(t));
    }
    json body{{"targets", targets}, {"document", R"({"operation":"fota"})"}};
    for (const auto& [k, v] : extra.items()) {
        body[k] = v;
    }
    return body;
}

std::string topic(const std::string& thing, const std::string& suffix) {
    return "$aws/things/" + thing + "/jobs/" + suffix;
}

struct Fixture {
    KvStore store{":memory:"};
    JobsService jobs{store};
    Fixture() {
        for (int i = 1; i <= 5; ++i) {
            REQUIRE(jobs.create_thing("dev" + std::to_string(i), json::object(), t0).ok());
        }
    }
    Messages device(const std::string& thing, const std::string& suffix, const std::string& payload,
                    std::int64_t now) {
        return jobs.handle_request(thing, topic(thing, suffix), payload, now);
    }
};

} // namespace

TEST_CASE("things: create is idempotent, describe and list", "[jobs][control]") {
    Fixture f;
    auto r = f.jobs.create_thing("dev1", json::object(), t0);
    REQUIRE(r.ok());
    CHECK(r.body["thingArn"] == arn("dev1"));
    r = f.jobs.create_thing("dev1", json{{"attributePayload", {{"attributes", {{"a", "b"}}}}}}, t0);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error->type == "ResourceAlreadyExistsException");
    CHECK(r.error->http_status == 409);
    CHECK(f.jobs.create_thing("bad name", json::object(), t0).error->type ==
          "InvalidRequestException");
    CHECK(f.jobs.describe_thing("nope").error->type == "ResourceNotFoundException");
    CHECK(f.jobs.describe_thing("dev2").body["thingName"] == "dev2");

    ListQuery page;
    page.max_results = 2;
    r = f.jobs.list_things(page);
    CHECK(r.body["things"].size() == 2);
    REQUIRE(r.body.contains("nextToken"));
    std::size_t seen = 2;
    while (r.body.contains("nextToken")) {
        page.next_token = r.body["nextToken"].get<std::string>();
        r = f.jobs.list_things(page);
        seen += r.body["things"].size();
    }
    CHECK(seen == 5);
}

TEST_CASE("CreateJob validates its input like AWS", "[jobs][control]") {
    Fixture f;
    auto error_of = [&](const std::string& id, const json& body) {
        auto r = f.jobs.create_job(id, body, t0);
        REQUIRE_FALSE(r.ok());
        return r.error->type;
    };
    CHECK(error_of("bad id!", job_body({"dev1"})) == "InvalidRequestException");
    CHECK(error_of(std::string(65, 'a'), job_body({"dev1"})) == "InvalidRequestException");
    CHECK(error_of("j", json{{"targets", {arn("dev1")}}}) == "InvalidRequestException");
    CHECK(error_of("j", json{{"targets", json::array()}, {"document", "{}"}}) ==
          "InvalidRequestException");
    CHECK(error_of("j", job_body({"ghost"})) == "ResourceNotFoundException");
    CHECK(error_of("j", json{{"targets", {"arn:aws:iot:us-east-1:1:thinggroup/g"}},
                             {"document", "{}"}}) == "InvalidRequestException");
    CHECK(error_of("j", json{{"targets", {arn("dev1")}}, {"document", "[1]"}}) ==
          "InvalidRequestException");
    CHECK(error_of("j", json{{"targets", {arn("dev1")}},
                             {"document", "{\"a\":\"" + std::string(32768, 'x') + "\"}"}}) ==
          "InvalidRequestException");
    CHECK(error_of("j", job_body({"dev1"},
                                 json{{"timeoutConfig", {{"inProgressTimeoutInMinutes", 0}}}})) ==
          "InvalidRequestException");
    CHECK(error_of("j", job_body({"dev1"}, json{{"presignedUrlConfig", {{"expiresInSec", 30}}}})) ==
          "InvalidRequestException");
    CHECK(error_of("j", job_body({"dev1"}, json{{"jobExecutionsRolloutConfig",
                                                 {{"exponentialRate",
                                                   {{"baseRatePerMinute", 5},
                                                    {"incrementFactor", 9.0},
                                                    {"rateIncreaseCriteria",
                                                     {{"numberOfNotifiedThings", 1}}}}}}}})) ==
          "InvalidRequestException");
    CHECK(error_of("j", job_body({"dev1"}, json{{"abortConfig",
                                                 {{"criteriaList",
                                                   {{{"failureType", "BROKEN"},
                                                     {"action", "CANCEL"},
                                                     {"thresholdPercentage", 10},
                                                     {"minNumberOfExecutedThings", 1}}}}}}})) ==
          "InvalidRequestException");
    CHECK(error_of("j",
                   job_body({"dev1"},
                            json{{"jobExecutionsRetryConfig",
                                  {{"criteriaList",
                                    {{{"failureType", "REJECTED"}, {"numberOfRetries", 1}}}}}}})) ==
          "InvalidRequestException");
    REQUIRE(f.jobs.create_job("j", job_body({"dev1"}), t0).ok());
    CHECK(error_of("j", job_body({"dev1"})) == "ResourceAlreadyExistsException");
}

TEST_CASE("DescribeJob, GetJobDocument, ListJobs shapes", "[jobs][control]") {
    Fixture f;
    REQUIRE(
        f.jobs.create_job("j1", job_body({"dev1", "dev2"}, json{{"description", "d"}}), t0).ok());
    REQUIRE(f.jobs.create_job("j2", job_body({"dev1"}), t0 + 1).ok());
    auto r = f.jobs.describe_job("j1");
    REQUIRE(r.ok());
    const json job = r.body["job"];
    CHECK(job["jobArn"] == "arn:aws:iot:us-east-1:123456789012:job/j1");
    CHECK(job["status"] == "IN_PROGRESS");
    CHECK(job["targetSelection"] == "SNAPSHOT");
    CHECK(job["description"] == "d");
    CHECK(job["createdAt"] == t0);
    CHECK(job["jobProcessDetails"]["numberOfQueuedThings"] == 2);
    CHECK_FALSE(job.contains("document"));
    CHECK(f.jobs.get_job_document("j1").body == json{{"document", R"({"operation":"fota"})"}});
    CHECK(f.jobs.describe_job("nope").error->http_status == 404);

    ListQuery query;
    r = f.jobs.list_jobs(query);
    REQUIRE(r.body["jobs"].size() == 2);
    CHECK(r.body["jobs"][0]["jobId"] == "j1");
    CHECK_FALSE(r.body.contains("nextToken")); // the CLI loops if the last page has one
    query.max_results = 1;
    r = f.jobs.list_jobs(query);
    CHECK(r.body["jobs"].size() == 1);
    CHECK(r.body["nextToken"] == "1");
}

TEST_CASE("execution control shapes: detailsMap, thingArn, summaries", "[jobs][control]") {
    Fixture f;
    REQUIRE(f.jobs.create_job("j1", job_body({"dev1", "dev2"}), t0).ok());
    f.device("dev1", "start-next", R"({"statusDetails":{"a":"b"}})", t0 + 5);
    auto r = f.jobs.describe_job_execution("dev1", "j1", std::nullopt, t0 + 6);
    REQUIRE(r.ok());
    const json e = r.body["execution"];
    CHECK(e["statusDetails"] == json{{"detailsMap", {{"a", "b"}}}});
    CHECK(e["thingArn"] == arn("dev1"));
    CHECK(e["status"] == "IN_PROGRESS");
    CHECK(e["forceCanceled"] == false);
    CHECK_FALSE(e.contains("jobDocument"));
    CHECK(f.jobs.describe_job_execution("dev1", "j1", 2, t0).error->type ==
          "ResourceNotFoundException");

    ListQuery query;
    r = f.jobs.list_job_executions_for_job("j1", query);
    REQUIRE(r.body["executionSummaries"].size() == 2);
    CHECK(r.body["executionSummaries"][0]["thingArn"] == arn("dev1"));
    CHECK(r.body["executionSummaries"][0]["jobExecutionSummary"]["status"] == "IN_PROGRESS");
    CHECK(r.body["executionSummaries"][0]["jobExecutionSummary"]["retryAttempt"] == 0);
    CHECK_FALSE(r.body["executionSummaries"][0]["jobExecutionSummary"].contains("versionNumber"));
    query.status = "QUEUED";
    r = f.jobs.list_job_executions_for_job("j1", query);
    REQUIRE(r.body["executionSummaries"].size() == 1);
    CHECK(r.body["executionSummaries"][0]["thingArn"] == arn("dev2"));

    r = f.jobs.list_job_executions_for_thing("dev1", ListQuery{});
    REQUIRE(r.body["executionSummaries"].size() == 1);
    CHECK(r.body["executionSummaries"][0]["jobId"] == "j1");
}

TEST_CASE("CancelJob without force cancels only QUEUED executions; with force all",
          "[jobs][control]") {
    Fixture f;
    REQUIRE(f.jobs.create_job("j1", job_body({"dev1", "dev2"}), t0).ok());
    f.device("dev1", "start-next", "", t0 + 1);
    auto r = f.jobs.cancel_job("j1", false, json{{"reasonCode", "TEST"}, {"comment", "c"}}, t0 + 2);
    REQUIRE(r.ok());
    INFO(describe(r.messages));
    CHECK(r.body["jobId"] == "j1");
    CHECK(only(r.messages, topic("dev2", "notify-next")) == json{{"timestamp", t0 + 2}});
    CHECK(on_topic(r.messages, topic("dev1", "notify")).empty()); // dev1's is IN_PROGRESS
    auto out = f.device("dev1", "j1/update", R"({"status":"IN_PROGRESS"})", t0 + 3);
    CHECK(on_topic(out, topic("dev1", "j1/update/accepted")).size() == 1);
    CHECK(f.jobs.describe_job("j1").body["job"]["reasonCode"] == "TEST");

    r = f.jobs.cancel_job("j1", true, json::object(), t0 + 4);
    REQUIRE(r.ok());
    CHECK(only(r.messages, topic("dev1", "notify")) ==
          json{{"timestamp", t0 + 4}, {"jobs", json::object()}});
    out = f.device("dev1", "j1/update", R"({"status":"SUCCEEDED"})", t0 + 5);
    const json rejected = only(out, topic("dev1", "j1/update/rejected"));
    CHECK(rejected["code"] == "InvalidStateTransition");
    CHECK(rejected["executionState"]["status"] == "CANCELED");
    CHECK(rejected["executionState"]["versionNumber"] == 4);
    CHECK(f.jobs.describe_job("j1").body["job"]["forceCanceled"] == true);
    CHECK(f.jobs.describe_job_execution("dev1", "j1", std::nullopt, t0)
              .body["execution"]["forceCanceled"] == true);
}

TEST_CASE("CancelJobExecution: force, expectedVersion, statusDetails", "[jobs][control]") {
    Fixture f;
    REQUIRE(f.jobs.create_job("j1", job_body({"dev1"}), t0).ok());
    f.device("dev1", "start-next", "", t0 + 1);
    auto r = f.jobs.cancel_job_execution("dev1", "j1", false, json::object(), t0 + 2);
    CHECK(r.error->type == "InvalidStateTransitionException");
    r = f.jobs.cancel_job_execution("dev1", "j1", true, json{{"expectedVersion", 1}}, t0 + 2);
    CHECK(r.error->type == "VersionConflictException");
    r = f.jobs.cancel_job_execution("dev1", "j1", true,
                                    json{{"expectedVersion", 2}, {"statusDetails", {{"why", "t"}}}},
                                    t0 + 2);
    REQUIRE(r.ok());
    CHECK(r.body.is_null());
    CHECK(only(r.messages, topic("dev1", "notify-next")) == json{{"timestamp", t0 + 2}});
    const json e = f.jobs.describe_job_execution("dev1", "j1", std::nullopt, t0).body["execution"];
    CHECK(e["status"] == "CANCELED");
    CHECK(e["statusDetails"]["detailsMap"]["why"] == "t");
    CHECK(f.jobs.cancel_job_execution("dev1", "j1", true, json::object(), t0).error->type ==
          "InvalidStateTransitionException");
    CHECK(f.jobs.cancel_job_execution("dev9", "j1", true, json::object(), t0).error->type ==
          "ResourceNotFoundException");
}

TEST_CASE("DeleteJob and DeleteJobExecution", "[jobs][control]") {
    Fixture f;
    REQUIRE(f.jobs.create_job("j1", job_body({"dev1"}), t0).ok());
    f.device("dev1", "start-next", "", t0 + 1);
    auto r = f.jobs.delete_job("j1", false, t0 + 2);
    CHECK(r.error->type == "InvalidStateTransitionException");
    r = f.jobs.delete_job("j1", true, t0 + 3);
    REQUIRE(r.ok());
    // The doc's force-delete example: notify {"jobs":{}} and notify-next {"timestamp"}.
    CHECK(only(r.messages, topic("dev1", "notify")) ==
          json{{"timestamp", t0 + 3}, {"jobs", json::object()}});
    CHECK(only(r.messages, topic("dev1", "notify-next")) == json{{"timestamp", t0 + 3}});
    auto out = f.device("dev1", "j1/get", "", t0 + 4);
    CHECK(only(out, topic("dev1", "j1/get/rejected"))["code"] == "ResourceNotFound");
    CHECK(f.jobs.describe_job("j1").error->http_status == 404);
    // The id may be reused after deletion.
    REQUIRE(f.jobs.create_job("j1", job_body({"dev1"}), t0 + 5).ok());

    REQUIRE(f.jobs.create_job("j2", job_body({"dev2"}), t0).ok());
    CHECK(f.jobs.delete_job_execution("dev2", "j2", 1, false, t0).error->type ==
          "InvalidStateTransitionException");
    f.device("dev2", "j2/update", R"({"status":"SUCCEEDED"})", t0 + 1);
    CHECK(f.jobs.delete_job_execution("dev2", "j2", 7, false, t0).error->type ==
          "ResourceNotFoundException");
    r = f.jobs.delete_job_execution("dev2", "j2", 1, false, t0 + 2);
    REQUIRE(r.ok());
    CHECK(r.messages.empty()); // it was not pending
    out = f.device("dev2", "j2/get", "", t0 + 4);
    CHECK(only(out, topic("dev2", "j2/get/rejected"))["code"] == "ResourceNotFound");
}

TEST_CASE("rollout: maximumPerMinute queues executions minute by minute", "[jobs][rollout]") {
    Fixture f;
    auto r =
        f.jobs.create_job("j1",
                          job_body({"dev1", "dev2", "dev3", "dev4", "dev5"},
                                   json{{"jobExecutionsRolloutConfig", {{"maximumPerMinute", 2}}}}),
                          t0);
    REQUIRE(r.ok());
    CHECK(r.messages.size() == 4); // notify + notify-next for 2 things
    CHECK(f.jobs.describe_job("j1").body["job"]["jobProcessDetails"]["processingTargets"].size() ==
          3);
    CHECK(f.jobs.tick(t0 + 59).empty());
    auto out = f.jobs.tick(t0 + 60);
    CHECK(on_topic(out, topic("dev3", "notify-next")).size() == 1);
    CHECK(on_topic(out, topic("dev4", "notify-next")).size() == 1);
    CHECK(on_topic(out, topic("dev5", "notify-next")).empty());
    out = f.jobs.tick(t0 + 120);
    CHECK(on_topic(out, topic("dev5", "notify-next")).size() == 1);
    CHECK_FALSE(
        f.jobs.describe_job("j1").body["job"]["jobProcessDetails"].contains("processingTargets"));
}

TEST_CASE("rollout: exponentialRate grows with notified things", "[jobs][rollout]") {
    Fixture f;
    auto r = f.jobs.create_job(
        "j1",
        job_body({"dev1", "dev2", "dev3", "dev4", "dev5"},
                 json{{"jobExecutionsRolloutConfig",
                       {{"exponentialRate",
                         {{"baseRatePerMinute", 1},
                          {"incrementFactor", 2.0},
                          {"rateIncreaseCriteria", {{"numberOfNotifiedThings", 1}}}}}}}}),
        t0);
    REQUIRE(r.ok());
    // The rate is set when a minute starts: 0 notified -> 1/min (dev1); 1 notified -> 2/min
    // (dev2, dev3); 3 notified -> 8/min (dev4, dev5).
    CHECK(on_topic(r.messages, topic("dev1", "notify-next")).size() == 1);
    CHECK(on_topic(r.messages, topic("dev2", "notify-next")).empty());
    CHECK(f.jobs.tick(t0 + 30).empty());
    auto out = f.jobs.tick(t0 + 60);
    CHECK(on_topic(out, topic("dev2", "notify-next")).size() == 1);
    CHECK(on_topic(out, topic("dev3", "notify-next")).size() == 1);
    CHECK(on_topic(out, topic("dev4", "notify-next")).empty());
    out = f.jobs.tick(t0 + 120);
    CHECK(on_topic(out, topic("dev4", "notify-next")).size() == 1);
    CHECK(on_topic(out, topic("dev5", "notify-next")).size() == 1);
}

TEST_CASE("abortConfig cancels the job's QUEUED executions once the threshold is met",
          "[jobs][abort]") {
    Fixture f;
    auto r = f.jobs.create_job(
        "j1",
        job_body({"dev1", "dev2", "dev3"}, json{{"abortConfig",
                                                 {{"criteriaList",
                                                   {{{"failureType", "FAILED"},
                                                     {"action", "CANCEL"},
                                                     {"thresholdPercentage", 50},
                                                     {"minNumberOfExecutedThings", 2}}}}}}}),
        t0);
    REQUIRE(r.ok());
    f.device("dev2", "start-next", "", t0 + 1);
    auto out = f.device("dev1", "j1/update", R"({"status":"FAILED"})", t0 + 2);
    CHECK(f.jobs.describe_job("j1").body["job"]["status"] == "IN_PROGRESS"); // 1 executed < 2
    out = f.device("dev3", "j1/update", R"({"status":"SUCCEEDED"})", t0 + 3);
    INFO(describe(out));
    // 2 executed, 1 failed = 50%: abort. dev2 is IN_PROGRESS and keeps going.
    const json job = f.jobs.describe_job("j1").body["job"];
    CHECK(job["status"] == "CANCELED");
    CHECK(job["jobProcessDetails"]["numberOfInProgressThings"] == 1);
    out = f.device("dev2", "j1/update", R"({"status":"SUCCEEDED"})", t0 + 4);
    CHECK(on_topic(out, topic("dev2", "j1/update/accepted")).size() == 1);
}

TEST_CASE("abort notifies the other things whose queued executions it cancels", "[jobs][abort]") {
    Fixture f;
    REQUIRE(f.jobs
                .create_job(
                    "j1",
                    job_body({"dev1", "dev2"}, json{{"abortConfig",
                                                     {{"criteriaList",
                                                       {{{"failureType", "ALL"},
                                                         {"action", "CANCEL"},
                                                         {"thresholdPercentage", 100},
                                                         {"minNumberOfExecutedThings", 1}}}}}}}),
                    t0)
                .ok());
    auto out = f.device("dev1", "j1/update", R"({"status":"REJECTED"})", t0 + 1);
    INFO(describe(out));
    CHECK(only(out, topic("dev2", "notify-next")) == json{{"timestamp", t0 + 1}});
    CHECK(only(out, topic("dev2", "notify")) ==
          json{{"timestamp", t0 + 1}, {"jobs", json::object()}});
}

TEST_CASE("a job completes only when every target is terminal, retries included", "[jobs][retry]") {
    Fixture f;
    REQUIRE(
        f.jobs
            .create_job("j1",
                        job_body({"dev1", "dev2"},
                                 json{{"jobExecutionsRetryConfig",
                                       {{"criteriaList",
                                         {{{"failureType", "FAILED"}, {"numberOfRetries", 1}}}}}}}),
                        t0)
            .ok());
    f.device("dev1", "j1/update", R"({"status":"SUCCEEDED"})", t0 + 1);
    f.device("dev2", "j1/update", R"({"status":"FAILED"})", t0 + 2); // retried as #2
    CHECK(f.jobs.describe_job("j1").body["job"]["status"] == "IN_PROGRESS");
    f.device("dev2", "j1/update", R"({"status":"SUCCEEDED"})", t0 + 3);
    const json job = f.jobs.describe_job("j1").body["job"];
    CHECK(job["status"] == "COMPLETED");
    CHECK(job["jobProcessDetails"]["numberOfSucceededThings"] == 2);
    const auto r = f.jobs.list_job_executions_for_thing("dev2", ListQuery{});
    CHECK(r.body["executionSummaries"][0]["jobExecutionSummary"]["executionNumber"] == 2);
    CHECK(r.body["executionSummaries"][0]["jobExecutionSummary"]["retryAttempt"] == 1);
}
