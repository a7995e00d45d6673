// CloudCore (routing + fault knobs) and WorkQueue (hand-off from other threads).

#include <catch2/catch.hpp>

#include <chrono>
#include <future>
#include <thread>

#include "fota/cloud/cloud_core.hpp"
#include "fota/cloud/control_dispatch.hpp"
#include "fota/cloud/work_queue.hpp"
#include "test_support.hpp"

using namespace fota::cloud;
using fota::cloud::test::describe;
using fota::cloud::test::json;
using fota::cloud::test::on_topic;

namespace {

constexpr std::int64_t t0 = 1700000000;
const std::string jobs_prefix = "$aws/things/dev1/jobs/";

struct Fixture {
    CloudCore core{CloudConfig{}};
    Messages sent;
    Fixture() {
        core.set_publisher([this](const OutboundMessage& m) { sent.push_back(m); });
        REQUIRE(core.jobs().create_thing("dev1", json::object(), t0).ok());
    }
    void create_job(const std::string& id) {
        auto r = core.jobs().create_job(
            id,
            json{{"targets", {"arn:aws:iot:us-east-1:123456789012:thing/dev1"}},
                 {"document", R"({"operation":"fota"})"}},
            t0);
        REQUIRE(r.ok());
        core.publish(r.messages, t0);
    }
};

} // namespace

TEST_CASE("CloudCore routes jobs and shadow topics and ignores others", "[core]") {
    Fixture f;
    CHECK(f.core.handle_message("dev1", jobs_prefix + "get", "", t0));
    CHECK(on_topic(f.sent, jobs_prefix + "get/accepted").size() == 1);
    CHECK(f.core.handle_message("dev1", "$aws/things/dev1/shadow/get", "", t0));
    CHECK(on_topic(f.sent, "$aws/things/dev1/shadow/get/rejected").size() == 1);
    CHECK_FALSE(f.core.handle_message("dev1", "sensors/temp", "1", t0));
}

TEST_CASE("fault knobs: duplicate notify-next, duplicate job document, once each", "[core]") {
    Fixture f;
    f.core.duplicate_next_notify_next("dev1");
    f.create_job("j1");
    CHECK(on_topic(f.sent, jobs_prefix + "notify-next").size() == 2);
    f.sent.clear();
    f.create_job("j2"); // behind j1: notify only
    f.core.handle_message("dev1", jobs_prefix + "j1/update", R"({"status":"SUCCEEDED"})", t0);
    CHECK(on_topic(f.sent, jobs_prefix + "notify-next").size() == 1); // knob used up

    f.sent.clear();
    f.core.duplicate_next_job_document("dev1");
    f.core.handle_message("dev1", jobs_prefix + "start-next", "", t0);
    INFO(describe(f.sent));
    CHECK(on_topic(f.sent, jobs_prefix + "start-next/accepted").size() == 2);
    f.core.handle_message("dev1", jobs_prefix + "$next/get", "", t0);
    CHECK(on_topic(f.sent, jobs_prefix + "$next/get/accepted").size() == 1);
}

TEST_CASE("fault knobs: drop and delay the next reply", "[core]") {
    Fixture f;
    f.create_job("j1");
    f.sent.clear();
    f.core.drop_next_reply("dev1");
    f.core.handle_message("dev1", jobs_prefix + "get", "", t0);
    CHECK(f.sent.empty());
    f.core.handle_message("dev1", jobs_prefix + "get", "", t0);
    CHECK(f.sent.size() == 1);

    f.sent.clear();
    f.core.delay_next_reply("dev1", 5);
    f.core.handle_message("dev1", jobs_prefix + "get", "", t0 + 10);
    CHECK(f.sent.empty());
    CHECK(f.core.delayed_count() == 1);
    f.core.tick(t0 + 14);
    CHECK(f.sent.empty());
    f.core.tick(t0 + 15);
    CHECK(f.sent.size() == 1);
    CHECK(f.core.delayed_count() == 0);
}

TEST_CASE("fault knobs: drop and delay only the next reply on a topic suffix", "[core]") {
    Fixture f;
    f.create_job("j1");
    f.sent.clear();
    // Through the control API, as the scenario runner arms them.
    auto control = [&](const std::string& op, const json& args) {
        return dispatch_control(f.core, json{{"op", op}, {"args", args}}, t0);
    };
    REQUIRE(control("drop_next_reply", {{"thingName", "dev1"}, {"topicSuffix", "update/accepted"}})
                .ok());
    f.core.handle_message("dev1", jobs_prefix + "start-next", "", t0);
    CHECK(on_topic(f.sent, jobs_prefix + "start-next/accepted").size() == 1); // not this one
    f.sent.clear();
    f.core.handle_message("dev1", jobs_prefix + "j1/update", R"({"status":"IN_PROGRESS"})", t0);
    CHECK(f.sent.empty()); // the update's accepted reply is the one dropped
    f.core.handle_message("dev1", jobs_prefix + "j1/update", R"({"status":"IN_PROGRESS"})", t0);
    CHECK(on_topic(f.sent, jobs_prefix + "j1/update/accepted").size() == 1); // used up

    f.sent.clear();
    REQUIRE(control("delay_next_reply",
                    {{"thingName", "dev1"}, {"seconds", 3}, {"topicSuffix", "get/accepted"}})
                .ok());
    f.core.handle_message("dev1", jobs_prefix + "j1/update", R"({"status":"IN_PROGRESS"})", t0);
    CHECK(on_topic(f.sent, jobs_prefix + "j1/update/accepted").size() == 1);
    f.core.handle_message("dev1", jobs_prefix + "get", "", t0);
    CHECK(f.core.delayed_count() == 1);
    f.core.tick(t0 + 3);
    CHECK(on_topic(f.sent, jobs_prefix + "get/accepted").size() == 1);
    CHECK_FALSE(
        control("drop_next_reply", {{"thingName", "dev1"}, {"topicSuffix", 7}}).ok()); // a string
}
TEST_CASE("fault knob: reject the next update with a code", "[core]") {
    Fixture f;
    f.create_job("j1");
    f.sent.clear();
    f.core.reject_next_update("dev1", "InvalidStateTransition");
    f.core.handle_message("dev1", jobs_prefix + "j1/update", R"({"status":"IN_PROGRESS"})", t0);
    const auto rejected = on_topic(f.sent, jobs_prefix + "j1/update/rejected");
    REQUIRE(rejected.size() == 1);
    const json body = json::parse(rejected[0].payload);
    CHECK(body["code"] == "InvalidStateTransition");
    CHECK(body["executionState"]["status"] == "QUEUED");
}

TEST_CASE("WorkQueue runs calls from another thread on the owner's turn", "[queue]") {
    Fixture f;
    WorkQueue queue;
    std::future<ControlResult> result;
    std::thread client([&] {
        result = queue.control([](CloudCore& core, std::int64_t now) {
            return core.jobs().create_job(
                "fromhttp",
                json{{"targets", {"arn:aws:iot:us-east-1:123456789012:thing/dev1"}},
                     {"document", "{}"}},
                now);
        });
    });
    client.join();
    CHECK(queue.size() == 1);
    CHECK(result.wait_for(std::chrono::seconds(0)) == std::future_status::timeout);
    queue.run_pending(f.core, t0);
    REQUIRE(result.wait_for(std::chrono::seconds(0)) == std::future_status::ready);
    const ControlResult r = result.get();
    CHECK(r.ok());
    // the notifications the call caused were published
    CHECK(on_topic(f.sent, jobs_prefix + "notify-next").size() == 1);

    auto value = queue.call([](CloudCore&, std::int64_t now) { return now * 2; });
    queue.run_pending(f.core, 21);
    CHECK(value.get() == 42);

    auto failing =
        queue.call([](CloudCore&, std::int64_t) -> int { throw std::runtime_error("boom"); });
    queue.run_pending(f.core, 0);
    CHECK_THROWS_WITH(failing.get(), "boom");

    auto dropped = queue.call([](CloudCore&, std::int64_t) { return 1; });
    queue.close();
    CHECK_THROWS_AS(dropped.get(), std::future_error);
    auto refused = queue.call([](CloudCore&, std::int64_t) { return 1; });
    CHECK_THROWS_WITH(refused.get(), "cloud stopped");
}

TEST_CASE("the cloud clock advances on request and persists", "[core]") {
    Fixture f;
    CHECK(f.core.cloud_time(t0) == t0);
    f.core.advance_clock(90);
    f.core.advance_clock(-5); // ignored
    CHECK(f.core.cloud_time(t0) == t0 + 90);
    const ControlResult r =
        dispatch_control(f.core, json{{"op", "advance_clock"}, {"args", {{"seconds", 10}}}}, t0);
    REQUIRE(r.ok());
    CHECK(r.body["cloudTime"] == t0 + 10);
    CHECK(f.core.cloud_time(t0) == t0 + 100);
    CHECK_FALSE(
        dispatch_control(f.core, json{{"op", "advance_clock"}, {"args", {{"seconds", "x"}}}}, t0)
            .ok());
}

TEST_CASE("control dispatch: typed arguments, clear errors", "[core]") {
    Fixture f;
    auto run = [&](const json& request) { return dispatch_control(f.core, request, t0); };
    CHECK(run(json::array()).error->type == "InvalidRequestException");
    CHECK(run(json{{"op", 5}}).error->type == "InvalidRequestException");
    CHECK(run(json{{"op", "create_job"}, {"args", {{"jobId", 7}}}}).error->message ==
          "args.jobId must be a string");
    CHECK(
        run(json{{"op", "delete_job_execution"}, {"args", {{"thingName", "dev1"}, {"jobId", "j"}}}})
            .error->message == "args.executionNumber is required");
    CHECK(run(json{{"op", "describe_thing"}, {"args", {{"thingName", "dev1"}}}}).ok());
    const auto shadow = run(json{
        {"op", "update_thing_shadow"},
        {"args", {{"thingName", "dev1"}, {"payload", {{"state", {{"reported", {{"a", 1}}}}}}}}}});
    REQUIRE(shadow.ok());
    CHECK(shadow.body["version"] == 1);
}
