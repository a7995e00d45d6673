#include "fota/jobs_topics.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <string>

using namespace fota;

TEST_CASE("parse_jobs_topic recognises the topics the agent acts on", "[core][topics]") {
    const auto kind = [](const std::string& topic) { return parse_jobs_topic(topic, "dev1").kind; };
    CHECK(kind("$aws/things/dev1/jobs/notify-next") == JobsTopicKind::NotifyNext);
    // A job whose ID is "get", "notify" or "update" is still a job.
    const JobsTopic describe_get =
        parse_jobs_topic("$aws/things/dev1/jobs/get/get/accepted", "dev1");
    CHECK(describe_get.kind == JobsTopicKind::DescribeReply);
    CHECK(describe_get.job_id == "get");
    CHECK(describe_get.accepted);
    const JobsTopic update_notify =
        parse_jobs_topic("$aws/things/dev1/jobs/notify/update/accepted", "dev1");
    CHECK(update_notify.kind == JobsTopicKind::UpdateReply);
    CHECK(update_notify.job_id == "notify");
    CHECK(update_notify.accepted);
    const JobsTopic update_update =
        parse_jobs_topic("$aws/things/dev1/jobs/update/update/rejected", "dev1");
    CHECK(update_update.kind == JobsTopicKind::UpdateReply);
    CHECK(update_update.job_id == "update");
    CHECK_FALSE(update_update.accepted);
    const JobsTopic next = parse_jobs_topic("$aws/things/dev1/jobs/$next/get/rejected", "dev1");
    CHECK(next.kind == JobsTopicKind::DescribeReply);
    CHECK(next.job_id == "$next");
    CHECK_FALSE(next.accepted);
    CHECK(kind("$aws/things/dev1/jobs/start-next/update/accepted") == JobsTopicKind::UpdateReply);
}

TEST_CASE("parse_jobs_topic rejects other things, requests and malformed topics",
          "[core][topics]") {
    for (const char* topic :
         {"", "$aws", "$aws/things/dev2/jobs/notify-next", "$aws/things/dev1/shadow/update",
          "$aws/things/dev1/jobs", "$aws/things/dev1/jobs/", "$aws/things/dev1/jobs/foo",
          "$aws/things/dev1/jobs/j1/update/accepted/x", "$aws/things/dev1/jobs/j1/delete",
          "$aws/things/dev1/jobs/j 1/update/accepted",
          "$aws/things/dev1/jobs/$next/update/accepted", "$aws/things/dev1/jobs/j1/update/done",
          "aws/things/dev1/jobs/notify", "$aws/things/dev1/jobs//update/accepted",
          "$aws/things/dev1/jobs/notify-next/", "$aws/things/dev1x/jobs/notify-next",
          "$aws/things/dev1/jobs/a/b/update/accepted", "$aws/things/dev1/jobs/update/accepted",
          "$aws/things/dev1/jobs/get/accepted",
          // Requests (what the device publishes) and notifications it does not subscribe to.
          "$aws/things/dev1/jobs/notify", "$aws/things/dev1/jobs/get",
          "$aws/things/dev1/jobs/start-next", "$aws/things/dev1/jobs/start-next/accepted",
          "$aws/things/dev1/jobs/j1/get", "$aws/things/dev1/jobs/j1/update"}) {
        INFO(topic);
        CHECK(parse_jobs_topic(topic, "dev1").kind == JobsTopicKind::NotJobs);
    }
    CHECK(parse_jobs_topic("$aws/things/dev1/jobs/notify-next", "bad/thing").kind ==
          JobsTopicKind::NotJobs);
    const std::string long_id(kMaxJobIdLength + 1, 'a');
    CHECK(parse_jobs_topic("$aws/things/dev1/jobs/" + long_id + "/update/accepted", "dev1").kind ==
          JobsTopicKind::NotJobs);
    const std::string max_id(kMaxJobIdLength, 'a');
    CHECK(parse_jobs_topic("$aws/things/dev1/jobs/" + max_id + "/update/accepted", "dev1").kind ==
          JobsTopicKind::UpdateReply);
}

TEST_CASE("identifier rules", "[core][topics]") {
    CHECK(is_valid_thing_name("a:b_c-D9"));
    CHECK_FALSE(is_valid_thing_name(""));
    CHECK_FALSE(is_valid_thing_name("a/b"));
    CHECK(is_valid_thing_name(std::string(kMaxThingNameLength, 't')));
    CHECK_FALSE(is_valid_thing_name(std::string(kMaxThingNameLength + 1, 't')));
    CHECK(is_valid_job_id("a_b-9", false));
    CHECK_FALSE(is_valid_job_id("a:b", false));
    CHECK_FALSE(is_valid_job_id("$next", false));
    CHECK(is_valid_job_id("$next", true));
}

TEST_CASE("topics are built into bounded buffers", "[core][topics]") {
    std::array<char, kMaxTopicLength + 1> buffer{};
    std::string_view view;
    REQUIRE(build_thing_topic(buffer, "dev1", ThingTopic::NotifyNext, view) == TopicStatus::Ok);
    CHECK(view == "$aws/things/dev1/jobs/notify-next");
    REQUIRE(build_thing_topic(buffer, "dev1", ThingTopic::NextGet, view) == TopicStatus::Ok);
    CHECK(view == "$aws/things/dev1/jobs/$next/get");
    REQUIRE(build_thing_topic(buffer, "dev1", ThingTopic::ShadowUpdate, view) == TopicStatus::Ok);
    CHECK(view == "$aws/things/dev1/shadow/update");
    REQUIRE(build_job_topic(buffer, "dev1", "j1", JobTopic::UpdateRejected, view) ==
            TopicStatus::Ok);
    CHECK(view == "$aws/things/dev1/jobs/j1/update/rejected");
    CHECK(build_job_topic(buffer, "dev1", "$next", JobTopic::Update, view) ==
          TopicStatus::InvalidJobId);
    CHECK(build_job_topic(buffer, "bad/thing", "j1", JobTopic::Update, view) ==
          TopicStatus::InvalidThing);
    // The longest legal thing and job ID fit exactly.
    const std::string thing(kMaxThingNameLength, 't');
    const std::string job(kMaxJobIdLength, 'j');
    REQUIRE(build_job_topic(buffer, thing, job, JobTopic::UpdateAccepted, view) == TopicStatus::Ok);
    CHECK(view.size() == kMaxTopicLength);
    CHECK(parse_jobs_topic(view, thing).kind == JobsTopicKind::UpdateReply);
    std::array<char, 20> small{};
    CHECK(build_job_topic(small, "dev1", "j1", JobTopic::Update, view) == TopicStatus::TooLong);
    CHECK(view.empty());
}
