// JobsService: the device MQTT API (spec §2, §3).

#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
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
const std::string prefix = "$aws/things/dev1/jobs/";

json create_job_body(const std::vector<std::string>& things, json extra = json::object()) {
    json targets = json::array();
    for (const auto& t : things) {
        targets.push_back("arn:aws:iot:us-east-1:123456789012:thing/" + t);
    }
    json body{{"targets", targets},
              {"document", R"({"operation":"fota","location":{"host":"h","path":"/p"}})"}};
    for (const auto& [k, v] : extra.items()) {
        body[k] = v;
    }
    return body;
}

struct Fixture {
    KvStore store{":memory:"};
    JobsService jobs{store};

    Fixture() {
        for (const char* name : {"dev1", "dev2", "dev3"}) {
            REQUIRE(jobs.create_thing(name, json::object(), t0).ok());
        }
    }
    Messages create(const std::string& id, const std::vector<std::string>& things = {"dev1"},
                    json extra = json::object(), std::int64_t now = t0) {
        auto result = jobs.create_job(id, create_job_body(things, std::move(extra)), now);
        INFO((result.error ? result.error->message : std::string()));
        REQUIRE(result.ok());
        return result.messages;
    }
    Messages request(const std::string& topic_suffix, const std::string& payload,
                     std::int64_t now = t0 + 10, const std::string& thing = "dev1") {
        return jobs.handle_request(thing, "$aws/things/" + thing + "/jobs/" + topic_suffix, payload,
                                   now);
    }
};

} // namespace

TEST_CASE("create job notifies the thing: notify and notify-next", "[jobs]") {
    Fixture f;
    const auto messages = f.create("job1");
    INFO(describe(messages));
    REQUIRE(messages.size() == 2);
    const json notify = only(messages, prefix + "notify");
    CHECK(notify["timestamp"] == t0);
    REQUIRE(notify["jobs"]["QUEUED"].size() == 1);
    CHECK(notify["jobs"]["QUEUED"][0] == json{{"jobId", "job1"},
                                              {"queuedAt", t0},
                                              {"lastUpdatedAt", t0},
                                              {"versionNumber", 1},
                                              {"executionNumber", 1}});
    CHECK_FALSE(notify["jobs"].contains("IN_PROGRESS"));
    const json next = only(messages, prefix + "notify-next");
    CHECK(next["execution"]["jobId"] == "job1");
    CHECK(next["execution"]["status"] == "QUEUED");
    CHECK(next["execution"]["jobDocument"]["operation"] == "fota");
    CHECK_FALSE(next["execution"].contains("startedAt"));
    CHECK_FALSE(next["execution"].contains("thingName"));
    CHECK_FALSE(next["execution"].contains("statusDetails"));
    for (const auto& m : messages) {
        CHECK(m.client_id.empty()); // notifications go through the broker
    }
}

TEST_CASE("the seed's sequence: $next/get, update IN_PROGRESS twice, SUCCEEDED", "[jobs]") {
    Fixture f;
    f.create("job1");

    auto out = f.request("$next/get", R"({"clientToken":""})");
    INFO(describe(out));
    REQUIRE(out.size() == 1);
    CHECK(out[0].client_id == "dev1");
    json reply = only(out, prefix + "$next/get/accepted");
    CHECK(reply["clientToken"] == "");
    CHECK(reply["timestamp"] == t0 + 10);
    CHECK(reply["execution"]["status"] == "QUEUED");
    CHECK(reply["execution"]["versionNumber"] == 1);
    CHECK(reply["execution"]["jobDocument"].is_object());

    // NCS's exact payload: statusDetails null, expectedVersion a string.
    out = f.request(
        "job1/update",
        R"({"status":"IN_PROGRESS","statusDetails": null,"expectedVersion": "1","clientToken": ""})",
        t0 + 20);
    INFO(describe(out));
    REQUIRE(out.size() == 1); // no notify on QUEUED -> IN_PROGRESS (spec §1.5)
    reply = only(out, prefix + "job1/update/accepted");
    CHECK(reply == json{{"timestamp", t0 + 20}, {"clientToken", ""}});

    out = f.request(
        "job1/update",
        R"({"status":"IN_PROGRESS","statusDetails":{"nextState":"apply_firmware"},"expectedVersion":2,"includeJobExecutionState":true})",
        t0 + 30);
    reply = only(out, prefix + "job1/update/accepted");
    CHECK(reply["executionState"] == json{{"status", "IN_PROGRESS"},
                                          {"statusDetails", {{"nextState", "apply_firmware"}}},
                                          {"versionNumber", 3}});
    CHECK_FALSE(reply.contains("clientToken"));

    out = f.request("job1/get", R"({"clientToken":"d"})", t0 + 31);
    reply = only(out, prefix + "job1/get/accepted");
    CHECK(reply["execution"]["startedAt"] == t0 + 20);
    CHECK(reply["execution"]["lastUpdatedAt"] == t0 + 30);
    CHECK(reply["execution"]["statusDetails"]["nextState"] == "apply_firmware");

    out = f.request(
        "job1/update",
        R"({"status":"SUCCEEDED","statusDetails":{"nextState":"none"},"expectedVersion":"3","clientToken":"c3","includeJobDocument":true})",
        t0 + 40);
    INFO(describe(out));
    REQUIRE(out.size() == 3);
    CHECK(out[0].topic == prefix + "job1/update/accepted"); // reply first, then notifications
    reply = only(out, prefix + "job1/update/accepted");
    CHECK(reply["clientToken"] == "c3");
    CHECK(reply["jobDocument"]["operation"] == "fota");
    CHECK(only(out, prefix + "notify") == json{{"timestamp", t0 + 40}, {"jobs", json::object()}});
    CHECK(only(out, prefix + "notify-next") == json{{"timestamp", t0 + 40}});

    const auto job = f.jobs.describe_job("job1");
    REQUIRE(job.ok());
    CHECK(job.body["job"]["status"] == "COMPLETED");
    CHECK(job.body["job"]["completedAt"] == t0 + 40);
    CHECK(job.body["job"]["jobProcessDetails"]["numberOfSucceededThings"] == 1);
}

TEST_CASE("get pending lists in-progress and queued executions", "[jobs]") {
    Fixture f;
    auto out = f.request("get", "");
    json reply = only(out, prefix + "get/accepted");
    CHECK(reply == json{{"timestamp", t0 + 10},
                        {"inProgressJobs", json::array()},
                        {"queuedJobs", json::array()}});

    f.create("a", {"dev1"}, json::object(), t0);
    f.create("b", {"dev1"}, json::object(), t0 + 1);
    f.request("b/update", R"({"status":"IN_PROGRESS"})", t0 + 5);
    out = f.request("get", R"({"clientToken":"x"})", t0 + 6);
    reply = only(out, prefix + "get/accepted");
    CHECK(reply["clientToken"] == "x");
    REQUIRE(reply["inProgressJobs"].size() == 1);
    CHECK(reply["inProgressJobs"][0]["jobId"] == "b");
    CHECK(reply["inProgressJobs"][0]["startedAt"] == t0 + 5);
    CHECK(reply["inProgressJobs"][0]["versionNumber"] == 2);
    REQUIRE(reply["queuedJobs"].size() == 1);
    CHECK(reply["queuedJobs"][0]["jobId"] == "a");
}

TEST_CASE("start-next takes the next execution, keeps an in-progress one unchanged", "[jobs]") {
    Fixture f;
    auto out = f.request("start-next", "");
    CHECK(only(out, prefix + "start-next/accepted") == json{{"timestamp", t0 + 10}});

    f.create("job1", {"dev1"}, json{{"timeoutConfig", {{"inProgressTimeoutInMinutes", 10}}}});
    out = f.request("start-next", R"({"statusDetails":{"k":"v"},"clientToken":"s1"})", t0 + 100);
    INFO(describe(out));
    REQUIRE(out.size() == 1); // the head did not change: no notify-next
    json e = only(out, prefix + "start-next/accepted")["execution"];
    CHECK(e["status"] == "IN_PROGRESS");
    CHECK(e["versionNumber"] == 2);
    CHECK(e["startedAt"] == t0 + 100);
    CHECK(e["statusDetails"] == json{{"k", "v"}});
    CHECK(e["approximateSecondsBeforeTimedOut"] == 600);
    CHECK(e["jobDocument"]["operation"] == "fota");

    out = f.request("start-next", R"({"statusDetails":{"k":"other"}})", t0 + 160);
    e = only(out, prefix + "start-next/accepted")["execution"];
    CHECK(e["versionNumber"] == 2);
    CHECK(e["statusDetails"] == json{{"k", "v"}});
    CHECK(e["approximateSecondsBeforeTimedOut"] == 540);
}

TEST_CASE("notify-next fires only when the head changes", "[jobs]") {
    Fixture f;
    f.create("a", {"dev1"}, json::object(), t0);
    const auto second = f.create("b", {"dev1"}, json::object(), t0 + 1);
    // b joined behind a: notify (set changed) but no notify-next (head unchanged)
    CHECK(on_topic(second, prefix + "notify").size() == 1);
    CHECK(on_topic(second, prefix + "notify-next").empty());

    // b goes IN_PROGRESS: it sorts ahead of a, so the head changes; the set does not.
    auto out = f.request("b/update", R"({"status":"IN_PROGRESS"})", t0 + 5);
    INFO(describe(out));
    CHECK(on_topic(out, prefix + "notify").empty());
    CHECK(only(out, prefix + "notify-next")["execution"]["jobId"] == "b");

    // a (not the head) is rejected: the set changes, the head does not.
    out = f.request("a/update", R"({"status":"REJECTED"})", t0 + 6);
    CHECK(only(out, prefix + "notify")["jobs"]["IN_PROGRESS"][0]["jobId"] == "b");
    CHECK(on_topic(out, prefix + "notify-next").empty());
}

TEST_CASE("rejections carry the right code, and executionState only where AWS puts it", "[jobs]") {
    Fixture f;
    f.create("job1");

    auto rejected = [&](const std::string& suffix, const std::string& payload) {
        const auto out = f.request(suffix, payload);
        INFO(describe(out));
        REQUIRE(out.size() == 1);
        CHECK(out[0].client_id == "dev1");
        REQUIRE(out[0].topic == prefix + suffix + "/rejected");
        return json::parse(out[0].payload);
    };

    json r = rejected("job1/update", "{not json");
    CHECK(r["code"] == "InvalidJson");
    CHECK(r["timestamp"] == t0 + 10);
    CHECK_FALSE(r.contains("executionState"));
    CHECK(rejected("job1/update", "[1,2]")["code"] == "InvalidJson");
    CHECK(rejected("job1/update", std::string("{\"status\":\"\xff\"}"))["code"] == "InvalidJson");
    CHECK(rejected("job1/update", R"({"clientToken":"t"})")["code"] == "InvalidRequest");
    r = rejected("job1/update", R"({"status":"DONE","clientToken":"t"})");
    CHECK(r["code"] == "InvalidRequest");
    CHECK(r["clientToken"] == "t");
    CHECK(rejected("job1/update", R"({"status":"CANCELED"})")["code"] == "InvalidRequest");
    CHECK(rejected("job1/update", R"({"status":5})")["code"] == "InvalidRequest");
    CHECK(rejected("job1/update", R"({"status":"IN_PROGRESS","expectedVersion":"v1"})")["code"] ==
          "InvalidRequest");
    CHECK(rejected("job1/update", R"({"status":"IN_PROGRESS","stepTimeoutInMinutes":0})")["code"] ==
          "InvalidRequest");
    CHECK(rejected("job1/update", R"({"status":"IN_PROGRESS","statusDetails":{"k":1}})")["code"] ==
          "InvalidRequest");
    CHECK(rejected("job1/update",
                   R"({"status":"IN_PROGRESS","statusDetails":{"bad key":"v"}})")["code"] ==
          "InvalidRequest");
    CHECK(rejected("job1/update", R"({"status":"IN_PROGRESS","statusDetails":{"k":""}})")["code"] ==
          "InvalidRequest");
    CHECK(rejected("job1/update", R"({"status":"IN_PROGRESS","clientToken":")" +
                                      std::string(65, 'x') + "\"}")["code"] == "InvalidRequest");

    r = rejected("job1/update", R"({"status":"QUEUED"})");
    CHECK(r["code"] == "InvalidStateTransition");
    CHECK(r["executionState"] == json{{"status", "QUEUED"}, {"versionNumber", 1}});

    r = rejected("job1/update",
                 R"({"status":"IN_PROGRESS","expectedVersion":"7","clientToken":""})");
    CHECK(r["code"] == "VersionMismatch");
    CHECK(r["clientToken"] == "");
    CHECK(r["executionState"] == json{{"status", "QUEUED"}, {"versionNumber", 1}});

    r = rejected("nojob/update", R"({"status":"IN_PROGRESS"})");
    CHECK(r["code"] == "ResourceNotFound");
    CHECK_FALSE(r.contains("executionState"));
    CHECK(rejected("nojob/get", "")["code"] == "ResourceNotFound");
    CHECK(rejected("job1/get", R"({"executionNumber":9})")["code"] == "ResourceNotFound");
    CHECK(rejected("job1/get", R"({"includeJobDocument":"yes"})")["code"] == "InvalidRequest");

    CHECK(rejected("foo/bar", "{}")["code"] == "InvalidTopic");
    CHECK(rejected("bad!id/get", "{}")["code"] == "InvalidTopic");
    CHECK(rejected("$next/update", "{}")["code"] == "InvalidTopic");
    CHECK(rejected("a/b/c/d", "{}")["code"] == "InvalidTopic");
    CHECK(rejected(std::string(65, 'j') + "/get", "{}")["code"] == "InvalidTopic");
    CHECK(rejected("fo\x95\xd0/bar", "{}")["code"] == "InvalidTopic"); // found by the fuzzer

    // Nothing of the above changed the execution.
    const auto out = f.request("job1/get", "");
    CHECK(only(out, prefix + "job1/get/accepted")["execution"]["versionNumber"] == 1);

    // A terminal execution refuses further updates, with its state.
    f.request("job1/update", R"({"status":"SUCCEEDED"})");
    r = rejected("job1/update", R"({"status":"IN_PROGRESS"})");
    CHECK(r["code"] == "InvalidStateTransition");
    CHECK(r["executionState"] == json{{"status", "SUCCEEDED"}, {"versionNumber", 2}});
}

TEST_CASE("a job id may be a keyword: get/get and notify/update", "[jobs]") {
    Fixture f;
    f.create("get");
    f.create("notify");
    auto out = f.request("get/get", "");
    CHECK(only(out, prefix + "get/get/accepted")["execution"]["jobId"] == "get");
    out = f.request("notify/update", R"({"status":"IN_PROGRESS"})");
    CHECK(on_topic(out, prefix + "notify/update/accepted").size() == 1);
}

TEST_CASE("unknown fields are ignored, as AWS's JSON protocols do", "[jobs]") {
    Fixture f;
    f.create("job1");
    const auto out = f.request("job1/update", R"({"status":"IN_PROGRESS","surprise":{"a":[1]}})");
    CHECK(on_topic(out, prefix + "job1/update/accepted").size() == 1);
}

TEST_CASE("hostile payloads are rejected without a crash", "[jobs]") {
    Fixture f;
    f.create("job1");
    const std::string deep(100000, '[');
    auto out = f.request("job1/update", deep);
    CHECK(only(out, prefix + "job1/update/rejected")["code"] == "InvalidJson");
    out = f.request("job1/update", std::string("\0\0\0", 3));
    CHECK(only(out, prefix + "job1/update/rejected")["code"] == "InvalidJson");
    out = f.request("job1/update", R"({"status":"IN_PROGRESS","executionNumber":1e400})");
    CHECK(on_topic(out, prefix + "job1/update/rejected").size() == 1);
    out = f.request("job1/update",
                    R"({"status":"IN_PROGRESS","expectedVersion":18446744073709551615})");
    CHECK(only(out, prefix + "job1/update/rejected")["code"] == "InvalidRequest");
}

TEST_CASE("in-progress and step timeouts time the execution out", "[jobs][timers]") {
    Fixture f;
    f.create("job1", {"dev1"}, json{{"timeoutConfig", {{"inProgressTimeoutInMinutes", 10}}}});
    f.request("start-next", R"({"stepTimeoutInMinutes":2})", t0 + 100);
    CHECK(f.jobs.tick(t0 + 100 + 119).empty());
    auto out = f.jobs.tick(t0 + 100 + 120);
    INFO(describe(out));
    CHECK(only(out, prefix + "notify") == json{{"timestamp", t0 + 220}, {"jobs", json::object()}});
    CHECK(only(out, prefix + "notify-next") == json{{"timestamp", t0 + 220}});
    out = f.request("job1/get", "", t0 + 221);
    const json e = only(out, prefix + "job1/get/accepted")["execution"];
    CHECK(e["status"] == "TIMED_OUT");
    CHECK(e["versionNumber"] == 3);
    CHECK_FALSE(e.contains("approximateSecondsBeforeTimedOut"));
    out = f.request("job1/update", R"({"status":"SUCCEEDED"})", t0 + 222);
    CHECK(only(out, prefix + "job1/update/rejected")["code"] == "InvalidStateTransition");
}

TEST_CASE("stepTimeoutInMinutes -1 cancels the step timer; steps never pass the in-progress "
          "deadline",
          "[jobs][timers]") {
    Fixture f;
    f.create("job1", {"dev1"}, json{{"timeoutConfig", {{"inProgressTimeoutInMinutes", 3}}}});
    f.request("start-next", R"({"stepTimeoutInMinutes":1})", t0);
    f.request("job1/update", R"({"status":"IN_PROGRESS","stepTimeoutInMinutes":-1})", t0 + 30);
    CHECK(f.jobs.tick(t0 + 90).empty()); // the step timer is gone
    auto out = f.request(
        "job1/update",
        R"({"status":"IN_PROGRESS","stepTimeoutInMinutes":60,"includeJobExecutionState":true})",
        t0 + 100);
    out = f.request("job1/get", "", t0 + 100);
    CHECK(
        only(out, prefix + "job1/get/accepted")["execution"]["approximateSecondsBeforeTimedOut"] ==
        80);
    CHECK(f.jobs.tick(t0 + 179).empty());
    CHECK_FALSE(f.jobs.tick(t0 + 180).empty());
}

TEST_CASE("a failed execution is retried as a new execution number", "[jobs][retry]") {
    Fixture f;
    f.create("job1", {"dev1"},
             json{{"jobExecutionsRetryConfig",
                   {{"criteriaList", {{{"failureType", "FAILED"}, {"numberOfRetries", 1}}}}}}});
    f.request("start-next", "", t0 + 1);
    auto out = f.request("job1/update", R"({"status":"FAILED"})", t0 + 2);
    INFO(describe(out));
    json next = only(out, prefix + "notify-next");
    CHECK(next["execution"]["executionNumber"] == 2);
    CHECK(next["execution"]["status"] == "QUEUED");
    CHECK(next["execution"]["versionNumber"] == 1);
    f.request("start-next", "", t0 + 3);
    out = f.request("job1/update", R"({"status":"FAILED"})", t0 + 4);
    CHECK(only(out, prefix + "notify-next") == json{{"timestamp", t0 + 4}}); // no retries left
    out = f.request("job1/get", R"({"executionNumber":1})", t0 + 5);
    CHECK(only(out, prefix + "job1/get/accepted")["execution"]["status"] == "FAILED");
    const auto job = f.jobs.describe_job("job1");
    CHECK(job.body["job"]["status"] == "COMPLETED");
}

TEST_CASE("presigned-URL placeholders are replaced when the document is delivered", "[jobs]") {
    struct FakeSigner : PresignedUrlSigner {
        std::optional<std::string> presign(const std::string& url, std::int64_t expires,
                                           std::int64_t now) override {
            return url + "?X-Amz-Expires=" + std::to_string(expires) +
                   "&t=" + std::to_string(now - now % expires);
        }
    } signer;
    Fixture f;
    f.jobs.set_signer(&signer);
    json body = create_job_body({"dev1"});
    body["document"] =
        R"({"url":"${aws:iot:s3-presigned-url:https://s3.amazonaws.com/b/fw.bin}","n":[1,"${aws:iot:s3-presigned-url:http://x/y}"]})";
    body["presignedUrlConfig"] = {{"roleArn", "arn:aws:iam::123456789012:role/r"},
                                  {"expiresInSec", 600}};
    REQUIRE(f.jobs.create_job("job1", body, t0).ok());
    auto out = f.request("start-next", "", t0 + 10);
    const json doc = only(out, prefix + "start-next/accepted")["execution"]["jobDocument"];
    CHECK(doc["url"] == "https://s3.amazonaws.com/b/fw.bin?X-Amz-Expires=600&t=1699999800");
    CHECK(doc["n"][1] == "http://x/y?X-Amz-Expires=600&t=1699999800");
    // GetJobDocument returns the placeholder unreplaced.
    CHECK(f.jobs.get_job_document("job1").body["document"].get<std::string>().find(
              "${aws:iot:s3-presigned-url:") != std::string::npos);
}

TEST_CASE("state survives a restart (SQLite file)", "[jobs][persistence]") {
    const auto path = std::filesystem::temp_directory_path() /
                      ("fota-jobs-test-" + std::to_string(::getpid()) + ".db");
    std::filesystem::remove(path);
    {
        KvStore store(path.string());
        JobsService jobs(store);
        REQUIRE(jobs.create_thing("dev1", json::object(), t0).ok());
        REQUIRE(jobs.create_job("job1", create_job_body({"dev1"}), t0).ok());
        REQUIRE(jobs.create_job("job2", create_job_body({"dev1"}), t0 + 1).ok());
        jobs.handle_request("dev1", prefix + "start-next", R"({"statusDetails":{"s":"1"}})",
                            t0 + 5);
    }
    {
        KvStore store(path.string());
        JobsService jobs(store);
        auto out = jobs.handle_request("dev1", prefix + "job1/get", "", t0 + 6);
        const json e = only(out, prefix + "job1/get/accepted")["execution"];
        CHECK(e["status"] == "IN_PROGRESS");
        CHECK(e["versionNumber"] == 2);
        CHECK(e["statusDetails"] == json{{"s", "1"}});
        out = jobs.handle_request("dev1", prefix + "job1/update",
                                  R"({"status":"SUCCEEDED","expectedVersion":"2"})", t0 + 7);
        CHECK(only(out, prefix + "notify-next")["execution"]["jobId"] == "job2");
    }
    std::filesystem::remove(path);
    std::filesystem::remove(path.string() + "-wal");
    std::filesystem::remove(path.string() + "-shm");
}

TEST_CASE("reject_next_update answers the next update with the given code, once", "[jobs]") {
    Fixture f;
    f.create("job1");
    f.jobs.reject_next_update("dev1", "VersionMismatch");
    auto out = f.request("job1/update", R"({"status":"IN_PROGRESS","clientToken":"k"})");
    json r = only(out, prefix + "job1/update/rejected");
    CHECK(r["code"] == "VersionMismatch");
    CHECK(r["clientToken"] == "k");
    CHECK(r["executionState"]["versionNumber"] == 1);
    out = f.request("job1/update", R"({"status":"IN_PROGRESS"})");
    CHECK(on_topic(out, prefix + "job1/update/accepted").size() == 1);
}
