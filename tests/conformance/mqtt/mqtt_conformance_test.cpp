// Conformance of the local AWS IoT Jobs/Shadow over a REAL Mosquitto with the fota plugin:
// requests and replies field by field, as a device sees them (spec §1, §2, §5, §6, §7).

#include <catch2/catch.hpp>

#include <string>

#include "broker_fixture.hpp"

using namespace fota::cloud::conformance;

namespace {

const std::string jobs1 = "$aws/things/dev1/jobs/";
const std::string shadow1 = "$aws/things/dev1/shadow/";

std::string thing_arn(const std::string& thing) {
    return "arn:aws:iot:us-east-1:123456789012:thing/" + thing;
}

// The broker plus an admin client that drives the control API over $fota/control.
struct Stack {
    Broker broker;
    std::unique_ptr<Client> admin;

    Stack() {
        broker.start();
        admin = std::make_unique<Client>(broker.uri(), "harness");
    }
    void create_thing(const std::string& name) {
        const json reply = admin->control("create_thing", {{"thingName", name}});
        INFO(reply.dump());
        REQUIRE(reply["ok"] == true);
    }
    void create_job(const std::string& id, const std::vector<std::string>& things,
                    const std::string& document = R"({"operation":"fota","fwversion":"2.0.0"})") {
        json targets = json::array();
        for (const auto& t : things) {
            targets.push_back(thing_arn(t));
        }
        const json reply = admin->control(
            "create_job",
            {{"jobId", id}, {"body", {{"targets", targets}, {"document", document}}}});
        INFO(reply.dump());
        REQUIRE(reply["ok"] == true);
    }
};

// A round trip on the device's own get: everything published before it has been delivered.
void barrier(Client& client, const std::string& thing, const std::string& token) {
    client.publish("$aws/things/" + thing + "/jobs/get", json{{"clientToken", token}}.dump());
    client.wait_json("$aws/things/" + thing + "/jobs/get/accepted",
                     [&](const json& r) { return r.value("clientToken", "") == token; });
}

} // namespace

TEST_CASE("a client that never subscribed still gets its Jobs replies", "[conformance]") {
    Stack stack;
    stack.create_thing("dev1");
    Client device(stack.broker.uri(), "dev1");
    device.publish(jobs1 + "get", R"({"clientToken":"c1"})");
    const json reply = device.wait_json(jobs1 + "get/accepted");
    CHECK(reply["clientToken"] == "c1");
    CHECK(reply["inProgressJobs"] == json::array());
    CHECK(reply["queuedJobs"] == json::array());
    CHECK(reply["timestamp"].is_number_integer());
    CHECK(reply["timestamp"].get<std::int64_t>() < 100000000000); // seconds, not milliseconds

    // Empty payload on $next/get (the embedded-C demo does this): accepted, no execution.
    device.publish(jobs1 + "$next/get", "");
    const json next = device.wait_json(jobs1 + "$next/get/accepted");
    CHECK_FALSE(next.contains("execution"));
    CHECK_FALSE(next.contains("clientToken"));
}

TEST_CASE("the nRF9160 FOTA sequence over the broker, field by field", "[conformance]") {
    Stack stack;
    stack.create_thing("dev1");
    Client device(stack.broker.uri(), "dev1");
    device.subscribe(jobs1 + "notify-next");
    device.subscribe(jobs1 + "$next/get/#");

    stack.create_job("fw-1", {"dev1"});
    json notify_next = device.wait_json(jobs1 + "notify-next");
    CHECK(notify_next["execution"]["jobId"] == "fw-1");
    CHECK(notify_next["execution"]["status"] == "QUEUED");
    CHECK(notify_next["execution"]["jobDocument"] ==
          json{{"operation", "fota"}, {"fwversion", "2.0.0"}});
    CHECK(notify_next["execution"]["versionNumber"] == 1);
    CHECK(notify_next["execution"]["executionNumber"] == 1);

    device.publish(jobs1 + "$next/get", R"({"clientToken": ""})");
    json reply = device.wait_json(jobs1 + "$next/get/accepted");
    CHECK(reply["clientToken"] == "");
    CHECK(reply["execution"]["jobId"] == "fw-1");
    CHECK(reply["execution"]["jobDocument"]["fwversion"] == "2.0.0");

    // NCS: statusDetails null and expectedVersion as a string; no subscription to update/#.
    device.publish(
        jobs1 + "fw-1/update",
        R"({"status":"IN_PROGRESS","statusDetails": null,"expectedVersion": "1","clientToken": ""})");
    reply = device.wait_json(jobs1 + "fw-1/update/accepted");
    CHECK(reply.size() == 2);
    CHECK(reply["clientToken"] == "");
    CHECK(reply["timestamp"].is_number_integer());

    device.publish(
        jobs1 + "fw-1/update",
        R"({"status":"IN_PROGRESS","statusDetails":{"nextState":"download_firmware"},"expectedVersion":"2","clientToken":"","includeJobExecutionState":true})");
    reply = device.wait_json(jobs1 + "fw-1/update/accepted");
    CHECK(reply["executionState"] == json{{"status", "IN_PROGRESS"},
                                          {"statusDetails", {{"nextState", "download_firmware"}}},
                                          {"versionNumber", 3}});

    // A stale expectedVersion: VersionMismatch with executionState.
    device.publish(jobs1 + "fw-1/update",
                   R"({"status":"IN_PROGRESS","expectedVersion":"2","clientToken":"stale"})");
    reply = device.wait_json(jobs1 + "fw-1/update/rejected");
    CHECK(reply["code"] == "VersionMismatch");
    CHECK(reply["clientToken"] == "stale");
    CHECK(reply["executionState"]["versionNumber"] == 3);
    CHECK(reply["executionState"]["status"] == "IN_PROGRESS");

    device.publish(
        jobs1 + "fw-1/update",
        R"({"status":"SUCCEEDED","statusDetails":{"nextState":"none"},"expectedVersion":3,"clientToken":""})");
    reply = device.wait_json(jobs1 + "fw-1/update/accepted");
    CHECK(reply["clientToken"] == "");
    notify_next = device.wait_json(jobs1 + "notify-next");
    CHECK(notify_next.size() == 1);
    CHECK(notify_next["timestamp"].is_number_integer());

    // Terminal: a further update is an InvalidStateTransition with the state.
    device.publish(jobs1 + "fw-1/update", R"({"status":"IN_PROGRESS","clientToken":"late"})");
    reply = device.wait_json(jobs1 + "fw-1/update/rejected");
    CHECK(reply["code"] == "InvalidStateTransition");
    CHECK(reply["executionState"]["status"] == "SUCCEEDED");
    CHECK(reply["executionState"]["versionNumber"] == 4);

    const json job = stack.admin->control("describe_job", {{"jobId", "fw-1"}});
    CHECK(job["body"]["job"]["status"] == "COMPLETED");
}

TEST_CASE("start-next, describe and get over the broker", "[conformance]") {
    Stack stack;
    stack.create_thing("dev1");
    stack.create_job("a", {"dev1"});
    stack.create_job("b", {"dev1"});
    Client device(stack.broker.uri(), "dev1");
    device.publish(jobs1 + "start-next", R"({"clientToken":"s","stepTimeoutInMinutes":5})");
    json reply = device.wait_json(jobs1 + "start-next/accepted");
    CHECK(reply["execution"]["jobId"] == "a");
    CHECK(reply["execution"]["status"] == "IN_PROGRESS");
    CHECK(reply["execution"]["versionNumber"] == 2);
    CHECK(reply["execution"]["approximateSecondsBeforeTimedOut"].get<int>() > 290);
    CHECK(reply["execution"].contains("startedAt"));

    device.publish(jobs1 + "get", R"({"clientToken":"g"})");
    reply = device.wait_json(jobs1 + "get/accepted");
    REQUIRE(reply["inProgressJobs"].size() == 1);
    CHECK(reply["inProgressJobs"][0]["jobId"] == "a");
    REQUIRE(reply["queuedJobs"].size() == 1);
    CHECK(reply["queuedJobs"][0]["jobId"] == "b");

    device.publish(jobs1 + "b/get", R"({"includeJobDocument":false})");
    reply = device.wait_json(jobs1 + "b/get/accepted");
    CHECK(reply["execution"]["status"] == "QUEUED");
    CHECK_FALSE(reply["execution"].contains("jobDocument"));

    device.publish(jobs1 + "nope/get", "{}");
    reply = device.wait_json(jobs1 + "nope/get/rejected");
    CHECK(reply["code"] == "ResourceNotFound");
    CHECK_FALSE(reply.contains("executionState"));
}

TEST_CASE("bad input gets AWS's rejection and the broker keeps serving", "[conformance]") {
    Stack stack;
    stack.create_thing("dev1");
    stack.create_job("j1", {"dev1"});
    Client device(stack.broker.uri(), "dev1");
    device.publish(jobs1 + "j1/update", "{\"status\":");
    CHECK(device.wait_json(jobs1 + "j1/update/rejected")["code"] == "InvalidJson");
    device.publish(jobs1 + "j1/update", std::string(50000, '['));
    CHECK(device.wait_json(jobs1 + "j1/update/rejected")["code"] == "InvalidJson");
    device.publish(jobs1 + "j1/update", R"({"status":"PAUSED","clientToken":"u"})");
    json r = device.wait_json(jobs1 + "j1/update/rejected");
    CHECK(r["code"] == "InvalidRequest");
    CHECK(r["clientToken"] == "u");
    device.publish(jobs1 + "j1/update", R"({"status":"IN_PROGRESS","statusDetails":{"k":7}})");
    CHECK(device.wait_json(jobs1 + "j1/update/rejected")["code"] == "InvalidRequest");
    device.publish(jobs1 + "foo/bar", "{}");
    CHECK(device.wait_json(jobs1 + "foo/bar/rejected")["code"] == "InvalidTopic");
    device.publish(jobs1 + "bad$id/get", "{}");
    CHECK(device.wait_json(jobs1 + "bad$id/get/rejected")["code"] == "InvalidTopic");
    barrier(device, "dev1", "still-alive");
}

TEST_CASE("another client sees none of a thing's Jobs traffic, even with a wildcard",
          "[conformance]") {
    Stack stack;
    stack.create_thing("dev1");
    stack.create_thing("spy");
    Client spy(stack.broker.uri(), "spy");
    spy.subscribe("$aws/things/+/jobs/#");
    Client device(stack.broker.uri(), "dev1");
    device.subscribe(jobs1 + "#");

    stack.create_job("j1", {"dev1"});
    device.wait_json(jobs1 + "notify-next");
    device.publish(jobs1 + "start-next", R"({"clientToken":"x"})");
    device.wait_json(jobs1 + "start-next/accepted");
    device.publish(jobs1 + "j1/update", R"({"status":"SUCCEEDED"})");
    device.wait_json(jobs1 + "j1/update/accepted");
    device.wait_json(jobs1 + "notify");

    // dev1's requests were not routed to its own subscription either.
    CHECK(device.count(jobs1 + "start-next") == 0);
    CHECK(device.count(jobs1 + "j1/update") == 0);

    // Another client publishing on dev1's topics is refused: no reply, no effect.
    spy.publish(jobs1 + "get", R"({"clientToken":"spy"})");
    barrier(spy, "spy", "spy-barrier");
    for (const auto& message : spy.received()) {
        INFO(message.topic << " " << message.payload);
        CHECK(message.topic.rfind("$aws/things/spy/", 0) == 0);
    }
    barrier(device, "dev1", "dev1-barrier");
    CHECK(device.count(jobs1 + "get/accepted") == 0); // the spy's request did not run as dev1
}

TEST_CASE("AWS's broker limits: QoS 2, retain on reserved topics, 128 KiB", "[conformance]") {
    Stack stack;
    stack.create_thing("dev1");
    Client device(stack.broker.uri(), "dev1");
    device.publish(jobs1 + "get", R"({"clientToken":"qos2"})", 2);
    device.publish(jobs1 + "get", R"({"clientToken":"retained"})", 1, true);
    json big{{"clientToken", "big"}, {"pad", std::string(128 * 1024, 'x')}};
    device.publish(jobs1 + "get", big.dump());
    json fits{{"clientToken", "fits"}, {"pad", std::string(100 * 1024, 'x')}};
    device.publish(jobs1 + "get", fits.dump());
    device.wait_json(jobs1 + "get/accepted",
                     [](const json& r) { return r.value("clientToken", "") == "fits"; });
    barrier(device, "dev1", "after");
    for (const auto& message : device.received()) {
        INFO(message.payload);
        CHECK(message.payload.find("qos2") == std::string::npos);
        CHECK(message.payload.find("retained") == std::string::npos);
        CHECK(message.payload.find("\"big\"") == std::string::npos);
    }
}

TEST_CASE("shadow over the broker: replies pass through the broker", "[conformance]") {
    Stack stack;
    Client device(stack.broker.uri(), "dev1");
    Client watcher(stack.broker.uri(), "backend");
    device.subscribe(shadow1 + "get/+");
    device.subscribe(shadow1 + "update/+");
    watcher.subscribe(shadow1 + "update/documents");

    device.publish(shadow1 + "get", "");
    json r = device.wait_json(shadow1 + "get/rejected");
    CHECK(r == json{{"code", 404}, {"message", "No shadow exists with name: 'dev1'"}});

    device.publish(shadow1 + "update",
                   R"({"state":{"reported":{"fwversion":"1.0.0"}},"clientToken":"t1"})");
    r = device.wait_json(shadow1 + "update/accepted");
    CHECK(r["version"] == 1);
    CHECK(r["clientToken"] == "t1");
    CHECK(r["metadata"]["reported"]["fwversion"]["timestamp"] == r["timestamp"]);
    const json documents = watcher.wait_json(shadow1 + "update/documents");
    CHECK_FALSE(documents.contains("previous"));
    CHECK(documents["current"]["state"]["reported"]["fwversion"] == "1.0.0");

    const json http = stack.admin->control(
        "update_thing_shadow",
        {{"thingName", "dev1"}, {"payload", {{"state", {{"desired", {{"fwversion", "2.0.0"}}}}}}}});
    REQUIRE(http["ok"] == true);
    r = device.wait_json(shadow1 + "update/delta");
    CHECK(r["state"] == json{{"fwversion", "2.0.0"}});
    CHECK(r["version"] == 2);

    device.publish(shadow1 + "update",
                   R"({"state":{"reported":{"fwversion":"2.0.0"}},"version":1})");
    r = device.wait_json(shadow1 + "update/rejected");
    CHECK(r["code"] == 409);
    CHECK(r["message"] == "Version conflict");

    device.publish(shadow1 + "get", R"({"clientToken":"g"})");
    r = device.wait_json(shadow1 + "get/accepted");
    CHECK(r["state"]["delta"] == json{{"fwversion", "2.0.0"}});
    CHECK(r["clientToken"] == "g");

    // Named shadow, then delete of the classic one.
    device.subscribe(shadow1 + "name/fota/update/accepted");
    device.publish(shadow1 + "name/fota/update", R"({"state":{"reported":{"slot":"b"}}})");
    CHECK(device.wait_json(shadow1 + "name/fota/update/accepted")["version"] == 1);
    device.subscribe(shadow1 + "delete/accepted");
    device.publish(shadow1 + "delete", R"({"clientToken":"del"})");
    r = device.wait_json(shadow1 + "delete/accepted");
    CHECK(r["version"] == 2);
    CHECK(r["clientToken"] == "del");
    device.publish(shadow1 + "get", "");
    CHECK(device.wait_json(shadow1 + "get/rejected")["code"] == 404);

    // Another client may read shadow replies but not act as the thing.
    watcher.publish(shadow1 + "update", R"({"state":{"desired":{"x":1}},"clientToken":"not-me"})");
    device.subscribe(shadow1 + "name/fota/get/+"); // shadow replies need a subscription
    device.publish(shadow1 + "name/fota/get", "");
    device.wait_json(shadow1 + "name/fota/get/accepted"); // barrier after the watcher's publish
    for (const auto& message : device.received()) {
        CHECK(message.payload.find("not-me") == std::string::npos);
    }
}

TEST_CASE("a broker restart in the middle of a job loses nothing", "[conformance]") {
    Stack stack;
    stack.create_thing("dev1");
    stack.create_job("fw-1", {"dev1"});
    stack.create_job("fw-2", {"dev1"});
    {
        Client device(stack.broker.uri(), "dev1");
        device.publish(jobs1 + "start-next", R"({"statusDetails":{"nextState":"download"}})");
        device.wait_json(jobs1 + "start-next/accepted");
        device.publish(shadow1 + "update", R"({"state":{"reported":{"fwversion":"1.0.0"}}})");
        barrier(device, "dev1", "before-restart");
    }
    stack.admin.reset();
    stack.broker.stop();
    stack.broker.start();
    stack.admin = std::make_unique<Client>(stack.broker.uri(), "harness");

    Client device(stack.broker.uri(), "dev1");
    device.subscribe(shadow1 + "get/accepted");
    device.publish(jobs1 + "$next/get", R"({"clientToken":"after"})");
    json r = device.wait_json(jobs1 + "$next/get/accepted");
    CHECK(r["execution"]["jobId"] == "fw-1");
    CHECK(r["execution"]["status"] == "IN_PROGRESS");
    CHECK(r["execution"]["versionNumber"] == 2);
    CHECK(r["execution"]["statusDetails"] == json{{"nextState", "download"}});
    device.publish(shadow1 + "get", "");
    CHECK(device.wait_json(shadow1 + "get/accepted")["state"]["reported"]["fwversion"] == "1.0.0");

    device.subscribe(jobs1 + "notify-next");
    device.publish(jobs1 + "fw-1/update", R"({"status":"SUCCEEDED","expectedVersion":"2"})");
    device.wait_json(jobs1 + "fw-1/update/accepted");
    CHECK(device.wait_json(jobs1 + "notify-next")["execution"]["jobId"] == "fw-2");
}

TEST_CASE("cloud fault knobs through the control topic", "[conformance]") {
    Stack stack;
    stack.create_thing("dev1");
    Client device(stack.broker.uri(), "dev1");
    device.subscribe(jobs1 + "notify-next");

    REQUIRE(stack.admin->control("duplicate_next_notify_next", {{"thingName", "dev1"}})["ok"] ==
            true);
    stack.create_job("j1", {"dev1"});
    device.wait_json(jobs1 + "notify-next");
    device.wait_json(jobs1 + "notify-next"); // the duplicate

    REQUIRE(stack.admin->control("drop_next_reply", {{"thingName", "dev1"}})["ok"] == true);
    device.publish(jobs1 + "get", R"({"clientToken":"dropped"})");
    barrier(device, "dev1", "kept");
    CHECK(device.count(jobs1 + "get/accepted") == 0);

    REQUIRE(stack.admin->control("reject_next_update",
                                 {{"thingName", "dev1"}, {"code", "VersionMismatch"}})["ok"] ==
            true);
    device.publish(jobs1 + "j1/update", R"({"status":"IN_PROGRESS"})");
    json r = device.wait_json(jobs1 + "j1/update/rejected");
    CHECK(r["code"] == "VersionMismatch");
    CHECK(r["executionState"]["versionNumber"] == 1);

    REQUIRE(stack.admin->control("duplicate_next_job_document", {{"thingName", "dev1"}})["ok"] ==
            true);
    device.publish(jobs1 + "start-next", R"({"clientToken":"twice"})");
    device.wait_json(jobs1 + "start-next/accepted");
    device.wait_json(jobs1 + "start-next/accepted");

    REQUIRE(stack.admin->control("delay_next_reply",
                                 {{"thingName", "dev1"}, {"seconds", 1}})["ok"] == true);
    device.publish(jobs1 + "get", R"({"clientToken":"late"})");
    device.wait_json(jobs1 + "get/accepted",
                     [](const json& reply) { return reply.value("clientToken", "") == "late"; });

    const json bad = stack.admin->control("no_such_op", json::object());
    CHECK(bad["ok"] == false);
    CHECK(bad["error"]["type"] == "InvalidRequestException");
}

TEST_CASE("timeouts run on the broker's tick (cloud clock advanced)", "[conformance]") {
    Stack stack;
    stack.create_thing("dev1");
    const json reply = stack.admin->control(
        "create_job", {{"jobId", "t1"},
                       {"body",
                        {{"targets", {thing_arn("dev1")}},
                         {"document", R"({"operation":"fota"})"},
                         {"timeoutConfig", {{"inProgressTimeoutInMinutes", 10}}}}}});
    REQUIRE(reply["ok"] == true);
    Client device(stack.broker.uri(), "dev1");
    device.subscribe(jobs1 + "notify-next");
    device.publish(jobs1 + "start-next", R"({"stepTimeoutInMinutes":2})");
    CHECK(device
              .wait_json(jobs1 +
                         "start-next/accepted")["execution"]["approximateSecondsBeforeTimedOut"]
              .get<int>() <= 120);
    REQUIRE(stack.admin->control("advance_clock", {{"seconds", 121}})["ok"] == true);
    // The next tick times the execution out and announces that nothing is next.
    const json next = device.wait_json(jobs1 + "notify-next");
    CHECK_FALSE(next.contains("execution"));
    device.publish(jobs1 + "t1/get", "");
    const json e = device.wait_json(jobs1 + "t1/get/accepted")["execution"];
    CHECK(e["status"] == "TIMED_OUT");
    CHECK(e["versionNumber"] == 3);
}

TEST_CASE("notifications wait for a persistent session that is offline", "[conformance]") {
    Stack stack;
    stack.create_thing("dev1");
    {
        Client device(stack.broker.uri(), "dev1", false);
        device.subscribe(jobs1 + "notify-next");
    }
    stack.create_job("queued-while-offline", {"dev1"});
    Client device(stack.broker.uri(), "dev1", false);
    CHECK(device.wait_json(jobs1 + "notify-next")["execution"]["jobId"] == "queued-while-offline");
}

TEST_CASE("too many topic levels are refused; seven slashes get InvalidTopic", "[conformance]") {
    Stack stack;
    stack.create_thing("dev1");
    Client device(stack.broker.uri(), "dev1");
    device.publish(jobs1 + "a/b/c/d", "{}"); // 7 slashes: a topic, but no Jobs API
    CHECK(device.wait_json(jobs1 + "a/b/c/d/rejected")["code"] == "InvalidTopic");
    device.publish(jobs1 + "a/b/c/d/e", R"({"clientToken":"deep"})"); // 8 slashes: refused
    barrier(device, "dev1", "after-deep");
    for (const auto& message : device.received()) {
        CHECK(message.topic.find("a/b/c/d/e") == std::string::npos);
    }
}
